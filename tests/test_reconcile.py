"""`kfollow reconcile`: every check of kfollow/reconcile.py passing and failing on small inline
ledgers, its exit codes, its text/json/junit output, control totals, and the example ledger.

Most ledgers below are CLEAN (header on line 1, rows on lines 2–12) with the broken thing
appended from line NEXT_LINE on, so that the line numbers in the assertions are easy to check.
CLEAN is in whole tkr and balanced: with the `config` fixture (91 = Kommunbidrag) it passes
every check. Its Drift table, in kr, report sign (revenue +, costs −):

    row                     budget  forecast  outcome (1–2)  outcome 2023 (1–2)
    Verksamhetens intäkter   2 000     2 000          0              0
    Personalkostnader       −5 000    −5 000     −3 000         −3 000
    Kommunbidrag             3 000     3 000      3 000              0
    Årets resultat               0         0          0         −3 000

Conservation and identity cannot fail on a correct kfollow, so they are tested on a Report
tampered with at the library level, and through the CLI with build_drift monkeypatched.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import Result
from conftest import EXAMPLES, run, write

import kfollow.api
import kfollow.report
from kfollow.mapping import assign_rows, load_rules
from kfollow.read import ReadOptions, Source, load_ledger
from kfollow.reconcile import CHECKS, check_conservation, check_identities, ledger_totals, table_findings
from kfollow.report import Report, ReportSpec, build_drift

HEADER = "år;period;version;konto;ansvar;belopp"
CLEAN = """\
2023;1;utfall;5011;100;1000,00
2023;2;utfall;5011;100;2000,00
2024;1;budget;3011;100;-2000,00
2024;1;budget;5011;100;5000,00
2024;1;budget;9111;100;-3000,00
2024;1;prognos;3011;100;-2000,00
2024;1;prognos;5011;100;5000,00
2024;1;prognos;9111;100;-3000,00
2024;1;utfall;5011;100;1000,00
2024;2;utfall;5011;100;2000,00
2024;2;utfall;9111;100;-3000,00
"""
NEXT_LINE = 13  # the first line after CLEAN

# Outcome 2024 of 1 400 kr on two leaf rows: each prints −1 tkr, their exact sum −2 800 kr
# prints −3 tkr. Budget and forecast are whole tkr and balanced; period: month 1.
ROUNDING = """\
år;period;version;konto;ansvar;belopp
2023;1;utfall;5011;100;1000,00
2024;1;budget;5011;100;2000,00
2024;1;budget;9111;100;-2000,00
2024;1;prognos;5011;100;2000,00
2024;1;prognos;9111;100;-2000,00
2024;1;utfall;5011;100;1400,00
2024;1;utfall;6011;100;1400,00
"""

# One error and two warnings, in whole tkr (no rounding difference): an unmapped account
# (error, lines 13–14), an unbalanced budget (warning, line 15), line 16 a copy of line 11.
TROUBLE = (
    "2024;2;utfall;0999;100;-150,25",
    "2024;2;utfall;0999;100;-10,00",
    "2024;1;budget;5011;100;1000,00",
    "2024;2;utfall;5011;100;2000,00",
)

ALL_CODES = list(CHECKS)
# Without [investments] in kfollow.toml the project checks do not run; without --control,
# neither does control-total.
PROJECT_CHECKS = ("unmapped-project", "ambiguous-project", "investment-no-project")
SIE_CHECKS = ("sie-voucher-balance", "sie-result", "sie-period-balance", "sie-note")  # run only on SIE files
NOT_RUN = ("control-total", "drill-parts", *PROJECT_CHECKS, *SIE_CHECKS)  # drill-parts: only with --by
SUMMARY_CLEAN = "reconcile 2024 months 1–2: 12 checks, 0 errors, 0 warnings, 0 info: OK"


def ledger(*extra: str, base: str = CLEAN) -> str:
    """HEADER, CLEAN (or base), then the extra lines (from line NEXT_LINE on)."""
    return "\n".join([HEADER, base.rstrip("\n"), *extra]) + "\n"


def without(*starts: str) -> str:
    """CLEAN without the lines that start with any of `starts`."""
    return "".join(line + "\n" for line in CLEAN.splitlines() if not line.startswith(starts))


def reconcile(*args: object) -> Result:
    """Run `kfollow reconcile`; never raises, the caller checks the exit code."""
    result = run("reconcile", *args, ok=False)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def reconcile_json(path: Path, config: Path, *args: object, code: int = 0) -> dict:
    """`reconcile --format json --sign ledger` on a ledger; checks the exit code and the
    summary's own exit_code, returns the parsed JSON."""
    result = reconcile(path, "--config", config, "--sign", "ledger", "--format", "json", *args)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    data = json.loads(result.stdout)
    assert data["summary"]["exit_code"] == code
    return data


def found(data: dict, code: str) -> list[dict]:
    return [f for f in data["findings"] if f["code"] == code]


def codes(data: dict) -> set[str]:
    return {f["code"] for f in data["findings"]}


def status(data: dict) -> dict[str, str]:
    return {check["code"]: check["status"] for check in data["checks"]}


def error_exit(result: Result, code: int) -> list[str]:
    """The failure contract: the exit code, nothing on stdout, only `Error:`/`Warning:` lines,
    no verdict. Returns the Error lines."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert all(line.startswith(("Error:", "Warning:")) for line in lines), result.stderr
    assert "internal error" not in result.stderr
    assert "OK" not in result.stderr
    return [line for line in lines if line.startswith("Error:")]


# --- the clean ledger ------------------------------------------------------------------------


def test_clean_ledger_passes_every_check(ledger_from_text, config) -> None:
    """CLEAN: no finding at all, every check passes but control-total (no --control), exit 0."""
    data = reconcile_json(ledger_from_text(ledger()), config)
    assert data["findings"] == []
    assert status(data) == {code: "skipped" if code in NOT_RUN else "pass" for code in ALL_CODES}
    assert data["summary"] == {"errors": 0, "warnings": 0, "info": 0, "strict": False, "ok": True, "exit_code": 0}
    assert (data["year"], data["through"], data["ledger_rows"], data["files"]) == (2024, 2, 11, ["ledger.csv"])


def test_clean_ledger_text_report(ledger_from_text, config) -> None:
    """The text report of a clean ledger: the heading line, the skipped check, the verdict last."""
    result = reconcile(ledger_from_text(ledger()), "--config", config, "--sign", "ledger", "--strict")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "kfollow reconcile: ledger.csv (11 ledger rows), 2024 months 1–2"
    assert "Skipped: control-total (no --control file given)" in lines
    assert lines[-1] == SUMMARY_CLEAN
    assert not any(line.startswith(("Errors", "Warnings", "Info")) for line in lines)
    assert result.stderr == ""


# --- unmapped accounts -----------------------------------------------------------------------


def test_unmapped_account_is_an_error_with_rows_amount_and_first_line(ledger_from_text, config) -> None:
    """konto 0999 (no rule): one finding with its 2 rows, −160,25 kr and its first line; exit 1."""
    path = ledger_from_text(ledger(*TROUBLE[:2]))
    data = reconcile_json(path, config, code=1)
    (finding,) = found(data, "unmapped-account")
    assert finding["severity"] == "error"
    assert finding["subject"] == "konto 0999"
    assert finding["figures"] == {"account": "0999", "rows": 2, "amount_kr": -160.25}
    assert finding["sources"] == [f"ledger.csv:{NEXT_LINE}"]
    assert "-160,25 kr" in finding["message"]
    assert status(data)["unmapped-account"] == "fail"
    assert data["summary"]["errors"] == 1


def test_unmapped_accounts_without_config_one_finding_each(ledger_from_text) -> None:
    """Without kfollow.toml, 9111 (Kommunbidrag) is unmapped too: one finding per account,
    each with its own first line (9111 first on line 6)."""
    path = ledger_from_text(ledger(*TROUBLE[:2]))
    result = reconcile(path, "--sign", "ledger", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    unmapped = {f["figures"]["account"]: (f["figures"], f["sources"]) for f in found(data, "unmapped-account")}
    assert unmapped == {
        "0999": ({"account": "0999", "rows": 2, "amount_kr": -160.25}, [f"ledger.csv:{NEXT_LINE}"]),
        "9111": ({"account": "9111", "rows": 3, "amount_kr": -9000.0}, ["ledger.csv:6"]),
    }


def test_reconcile_runs_every_check_past_the_first_error(ledger_from_text, config) -> None:
    """Unmapped account + unbalanced budget + duplicate row: all three are reported (exit 1),
    where `variance` stops at the unmapped account with exit 3."""
    path = ledger_from_text(ledger(*TROUBLE))
    data = reconcile_json(path, config, code=1)
    assert codes(data) == {"unmapped-account", "budget-unbalanced", "duplicate-rows"}
    assert data["summary"] == {
        "errors": 1,
        "warnings": 2,
        "info": 0,
        "strict": False,
        "ok": False,
        "exit_code": 1,
    }
    (budget,) = found(data, "budget-unbalanced")
    assert budget["figures"]["budget_kr"] == -1000.0
    (duplicate,) = found(data, "duplicate-rows")
    assert duplicate["sources"] == ["ledger.csv:11", "ledger.csv:16"]

    result = run("variance", path, "--config", config, "--sign", "ledger", ok=False)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "konto 0999: 2 rows" in result.stderr


# --- conservation and identities (library level) ---------------------------------------------


def build(path: Path, config: Path):
    """load → map → Drift table (with the period-budget columns, as reconcile builds it)."""
    ledger_frame = load_ledger([Source(path)], ReadOptions(sign="ledger")).frame
    rows, _ = assign_rows(ledger_frame, load_rules(config))
    report = build_drift(ledger_frame, rows, ReportSpec(period_budget=True))
    return ledger_frame, rows, report


def tamper(report: Report, label: str, key: str, delta: int) -> Report:
    """The report with one cell moved by delta öre, nothing else touched."""
    rows = tuple(
        replace(row, values={**row.values, key: row.values[key] + delta}) if row.label == label else row
        for row in report.rows
    )
    return replace(report, rows=rows)


def cell(report: Report, label: str, key: str) -> int:
    return next(row.values[key] for row in report.rows if row.label == label)


def identity_cells(findings) -> dict[tuple[str, str], tuple[float, float]]:
    return {
        (f.figures["row"], f.figures["column"]): (f.figures["value_kr"], f.figures["expected_kr"]) for f in findings
    }


def test_untampered_report_conserves_and_follows_its_identities(ledger_from_text, config) -> None:
    """The table of CLEAN: no conservation or identity finding, and the cells are as documented."""
    ledger_frame, rows, report = build(ledger_from_text(ledger()), config)
    assert check_conservation(report, ledger_totals(ledger_frame, rows)) == []
    assert check_identities(report) == []
    assert table_findings(report, ledger_frame, rows) == []
    assert cell(report, "Personalkostnader", "outcome") == -300_000
    assert cell(report, "Årets resultat", "outcome_previous") == -300_000


def test_conservation_finds_the_column_of_a_tampered_leaf_cell(ledger_from_text, config) -> None:
    """Personalkostnader / outcome moved by +1,00 kr: exactly the outcome column is off, by 1,00 kr."""
    ledger_frame, rows, report = build(ledger_from_text(ledger()), config)
    broken = tamper(report, "Personalkostnader", "outcome", 100)
    (finding,) = check_conservation(broken, ledger_totals(ledger_frame, rows))
    assert finding.code == "conservation"
    assert finding.severity == "error"
    assert finding.subject == "Delårsbokslut 2024"
    assert finding.figures == {"column": "outcome", "table_kr": 1.0, "ledger_kr": 0.0, "difference_kr": 1.0}


def test_identities_find_the_cells_that_no_longer_follow_from_a_tampered_leaf(ledger_from_text, config) -> None:
    """After Personalkostnader / outcome +1,00 kr: the subtotal above it (Verksamhetens
    kostnader / outcome) and its own deviations (outcome − outcome_previous, outcome −
    period_budget) no longer follow; Årets resultat still follows its (untampered) parts."""
    *_, report = build(ledger_from_text(ledger()), config)
    findings = check_identities(tamper(report, "Personalkostnader", "outcome", 100))
    assert {f.code for f in findings} == {"identity"}
    assert identity_cells(findings) == {
        ("Verksamhetens kostnader", "outcome"): (-3000.0, -2999.0),
        ("Personalkostnader", "outcome_change"): (0.0, 1.0),
        ("Personalkostnader", "period_deviation"): (2000.0, 2001.0),
    }
    by_cell = {(f.figures["row"], f.figures["column"]): f for f in findings}
    assert (
        by_cell[("Personalkostnader", "outcome_change")].figures["formula"] == "Delårsbokslut 2024 − Delårsbokslut 2023"
    )
    assert by_cell[("Personalkostnader", "outcome_change")].subject == (
        "Personalkostnader / Diff. utfall 2023/2024 = Delårsbokslut 2024 − Delårsbokslut 2023"
    )


def test_identities_find_a_tampered_total(ledger_from_text, config) -> None:
    """Årets resultat / budget moved by −5,00 kr: conservation (leaf rows only) holds; the
    result no longer sums its parts, and the forecast deviation no longer follows."""
    ledger_frame, rows, report = build(ledger_from_text(ledger()), config)
    broken = tamper(report, "Årets resultat", "budget", -500)
    assert check_conservation(broken, ledger_totals(ledger_frame, rows)) == []
    findings = check_identities(broken)
    assert identity_cells(findings) == {
        ("Årets resultat", "budget"): (-5.0, 0.0),
        ("Årets resultat", "forecast_deviation"): (0.0, 5.0),
    }
    result = next(f for f in findings if f.figures["column"] == "budget")
    assert result.figures["formula"] == "Verksamhetens nettokostnader + Kommunbidrag + Finansnetto"


def broken_build_drift(monkeypatch) -> None:
    """Make the CLI build a table whose Personalkostnader / outcome is 1,00 kr off."""
    original = kfollow.report.build_drift

    def build_broken(*args, **kwargs):
        return tamper(original(*args, **kwargs), "Personalkostnader", "outcome", 100)

    monkeypatch.setattr(kfollow.api, "build_drift", build_broken)  # the CLI builds it through kfollow.api


def test_variance_on_a_correct_ledger_has_no_reconcile_warning(ledger_from_text, config) -> None:
    """The safety net of `variance` stays silent on a table that reconciles."""
    result = run("variance", ledger_from_text(ledger()), "--config", config, "--sign", "ledger")
    assert "Personalkostnader" in result.stdout
    assert "reconcile" not in result.stderr
    assert "reconcile" not in result.stdout


def test_variance_warns_on_stderr_when_the_table_does_not_reconcile(ledger_from_text, config, monkeypatch) -> None:
    """A broken table (a bug in kfollow): variance still prints it and exits 0, and says so
    in one Warning line on stderr that points to `kfollow reconcile`; stdout is the table only."""
    broken_build_drift(monkeypatch)
    result = run("variance", ledger_from_text(ledger()), "--config", config, "--sign", "ledger", "--unit", "kr")
    assert result.exit_code == 0
    assert "Personalkostnader" in result.stdout
    assert "-2 999" in result.stdout  # the broken cell is printed as built
    assert "reconcile" not in result.stdout
    assert "Warning" not in result.stdout
    (warning,) = [line for line in result.stderr.splitlines() if "does not reconcile" in line]
    assert warning.startswith("Warning: the table does not reconcile (3 error(s), first: column 'Delårsbokslut 2024'")
    assert "kfollow reconcile" in warning


def test_reconcile_reports_a_broken_table(ledger_from_text, config, monkeypatch) -> None:
    """The same broken table through `kfollow reconcile`: conservation and identity errors, exit 1."""
    broken_build_drift(monkeypatch)
    data = reconcile_json(ledger_from_text(ledger()), config, code=1)
    assert [f["figures"]["difference_kr"] for f in found(data, "conservation")] == [1.0]
    assert {(f["figures"]["row"], f["figures"]["column"]) for f in found(data, "identity")} == {
        ("Verksamhetens kostnader", "outcome"),
        ("Personalkostnader", "outcome_change"),
        ("Personalkostnader", "period_deviation"),
    }
    assert status(data)["conservation"] == status(data)["identity"] == "fail"
    assert data["summary"]["errors"] == 4


# --- rounding differences --------------------------------------------------------------------


def test_rounding_difference_is_info_with_the_printed_figures(ledger_from_text, config) -> None:
    """ROUNDING: Verksamhetens kostnader / outcome prints −3 tkr (−2 800 kr rounded once) while
    its printed rows give −1 + −1 = −2; the same in the columns derived from outcome. Info
    only: exit 0, even with --strict."""
    path = ledger_from_text(ROUNDING)
    data = reconcile_json(path, config, "--strict")
    assert codes(data) == {"rounding-difference"}
    figures = {(f["figures"]["row"], f["figures"]["column"]): f["figures"] for f in data["findings"]}
    assert figures[("Verksamhetens kostnader", "outcome")] == {
        "row": "Verksamhetens kostnader",
        "column": "outcome",
        "printed": -3,
        "from_printed_parts": -2,
        "difference": -1,
        "unit": "tkr",
    }
    assert {key: (f["printed"], f["from_printed_parts"]) for key, f in figures.items()} == {
        ("Verksamhetens kostnader", "outcome"): (-3, -2),
        ("Verksamhetens kostnader", "outcome_change"): (-2, -1),
        ("Verksamhetens kostnader", "period_deviation"): (-1, 0),
    }
    assert all(f["severity"] == "info" for f in data["findings"])
    assert status(data)["rounding-difference"] == "info"  # info never fails a check, even --strict
    assert data["summary"]["info"] == 3


def test_no_rounding_difference_in_whole_units(ledger_from_text, config) -> None:
    """The same ledger in kr (whole kronor) has no rounding difference; CLEAN in tkr has none."""
    assert reconcile_json(ledger_from_text(ROUNDING), config, "--unit", "kr")["findings"] == []
    assert found(reconcile_json(ledger_from_text(ledger()), config), "rounding-difference") == []


# --- budget balance --------------------------------------------------------------------------


def test_unbalanced_budget_is_a_warning_and_fails_only_under_strict(ledger_from_text, config) -> None:
    """Budget personnel +500,00 kr (line 13): Årets resultat / budget −500,00 kr, a warning:
    exit 0, and exit 1 with --strict."""
    path = ledger_from_text(ledger("2024;1;budget;5011;100;500,00"))
    data = reconcile_json(path, config)
    (finding,) = data["findings"]
    assert (finding["code"], finding["severity"]) == ("budget-unbalanced", "warning")
    assert finding["subject"] == "Årets resultat / Budget 2024"
    assert finding["figures"] == {"row": "Årets resultat", "budget_kr": -500.0}
    assert status(data)["budget-unbalanced"] == "warn"
    assert data["summary"]["ok"] is True

    strict = reconcile_json(path, config, "--strict", code=1)
    assert strict["summary"] == {"errors": 0, "warnings": 1, "info": 0, "strict": True, "ok": False, "exit_code": 1}
    assert status(strict)["budget-unbalanced"] == "fail"


# --- coverage: versions, months, previous year ------------------------------------------------


@pytest.mark.parametrize(
    ("drop", "version", "args"),
    [
        ("2024;1;budget", "budget", ()),
        ("2024;1;prognos", "prognos", ()),
        ("2024;1;utfall", "utfall", ("--year", "2024", "--through", "2")),
    ],
)
def test_missing_version_is_a_warning(ledger_from_text, config, drop, version, args) -> None:
    """CLEAN without a version's 2024 rows: one missing-version warning naming it (utfall:
    both of its months dropped, the period given)."""
    text = without(drop, "2024;2;utfall") if version == "utfall" else without(drop)
    data = reconcile_json(ledger_from_text(ledger(base=text)), config, *args)
    missing = found(data, "missing-version")
    assert [(f["subject"], f["figures"]) for f in missing] == [(version, {"version": version, "year": 2024})]
    assert found(data, "missing-months") == []  # a version that is absent is not also gappy
    reconcile_json(ledger_from_text(ledger(base=text)), config, *args, "--strict", code=1)


def test_missing_months_this_year_and_last(ledger_from_text, config) -> None:
    """Outcome 2024 in months 1 and 3, 2023 in months 1–3, --through 3: 2024 lacks month 2.
    Then 2023 without month 3: both years are reported, each with its gaps."""
    rows = [
        "2023;1;utfall;5011;100;1000,00",
        "2023;2;utfall;5011;100;1000,00",
        "2023;3;utfall;5011;100;1000,00",
        "2024;1;budget;5011;100;1000,00",
        "2024;1;budget;9111;100;-1000,00",
        "2024;1;prognos;5011;100;1000,00",
        "2024;1;prognos;9111;100;-1000,00",
        "2024;1;utfall;5011;100;1000,00",
        "2024;3;utfall;5011;100;1000,00",
    ]
    data = reconcile_json(ledger_from_text(ledger(base="\n".join(rows))), config, "--through", "3")
    assert [(f["subject"], f["figures"]) for f in found(data, "missing-months")] == [
        ("2024", {"year": 2024, "months": [2], "through": 3})
    ]
    assert data["summary"]["warnings"] == 1

    rows.remove("2023;3;utfall;5011;100;1000,00")
    data = reconcile_json(ledger_from_text(ledger(base="\n".join(rows))), config, "--through", "3")
    assert [f["figures"] for f in found(data, "missing-months")] == [
        {"year": 2024, "months": [2], "through": 3},
        {"year": 2023, "months": [3], "through": 3},
    ]
    assert found(reconcile_json(ledger_from_text(ledger()), config, "--through", "2"), "missing-months") == []


def test_missing_months_default_period_follows_the_latest_month(ledger_from_text, config) -> None:
    """Without --through the period ends at the latest outcome month (2): CLEAN's months 1–2
    are complete, but outcome 2024 of month 2 alone lacks month 1."""
    data = reconcile_json(ledger_from_text(ledger(base=without("2024;1;utfall"))), config)
    assert [f["figures"] for f in found(data, "missing-months")] == [{"year": 2024, "months": [1], "through": 2}]


def test_missing_previous_year(ledger_from_text, config) -> None:
    """CLEAN without its 2023 rows: no outcome to compare with, a warning naming 2023."""
    data = reconcile_json(ledger_from_text(ledger(base=without("2023;"))), config)
    assert [(f["code"], f["subject"], f["figures"]) for f in data["findings"]] == [
        ("missing-previous-year", "2023", {"year": 2023})
    ]
    assert status(data)["missing-previous-year"] == "warn"


def test_unused_version_until_it_is_shown(ledger_from_text, config) -> None:
    """CLEAN with its forecast named prognos-april: by default that version is in no column
    (and prognos is missing); --forecast-version prognos-april shows it and both warnings go."""
    text = ledger(base=CLEAN.replace(";prognos;", ";prognos-april;"))
    path = ledger_from_text(text)
    data = reconcile_json(path, config)
    assert codes(data) == {"unused-version", "missing-version"}
    (unused,) = found(data, "unused-version")
    assert (unused["subject"], unused["figures"]) == ("prognos-april", {"version": "prognos-april", "rows": 3})
    assert "--forecast-version prognos-april" in unused["message"]
    assert found(data, "missing-version")[0]["subject"] == "prognos"

    assert reconcile_json(path, config, "--forecast-version", "prognos-april")["findings"] == []


def test_another_forecast_beside_the_one_shown_is_no_unused_version(ledger_from_text, config) -> None:
    """Both prognos and prognos-april in the ledger: a ledger carries every forecast of the year,
    so whichever is not shown is no warning (where the one shown has no rows, it is: see above)."""
    april = [line.replace(";prognos;", ";prognos-april;") for line in CLEAN.splitlines() if ";prognos;" in line]
    path = ledger_from_text(ledger(*april))
    assert reconcile_json(path, config)["findings"] == []
    assert reconcile_json(path, config, "--forecast-version", "prognos-april")["findings"] == []


# --- duplicate rows --------------------------------------------------------------------------


def test_duplicate_rows_name_every_line(ledger_from_text, config) -> None:
    """Line 13 repeats line 11 and line 14 repeats line 2: one finding per group, naming
    both lines; warnings, exit 0."""
    path = ledger_from_text(ledger("2024;2;utfall;5011;100;2000,00", "2023;1;utfall;5011;100;1000,00"))
    data = reconcile_json(path, config)
    duplicates = found(data, "duplicate-rows")
    assert sorted((f["sources"], f["figures"]["rows"], f["figures"]["amount_kr"]) for f in duplicates) == [
        (["ledger.csv:11", f"ledger.csv:{NEXT_LINE}"], 2, 2000.0),
        (["ledger.csv:2", f"ledger.csv:{NEXT_LINE + 1}"], 2, 1000.0),
    ]
    first = next(f for f in duplicates if f["sources"][0] == "ledger.csv:11")
    assert first["subject"] == "ledger.csv:11"
    assert "konto 5011" in first["message"]
    assert all(f["severity"] == "warning" for f in duplicates)


def test_three_identical_rows_are_one_finding(ledger_from_text, config) -> None:
    """Line 11 twice more (lines 13, 14): one finding of 3 rows."""
    path = ledger_from_text(ledger(*["2024;2;utfall;5011;100;2000,00"] * 2))
    (finding,) = found(reconcile_json(path, config), "duplicate-rows")
    assert finding["sources"] == ["ledger.csv:11", "ledger.csv:13", "ledger.csv:14"]
    assert finding["figures"]["rows"] == 3


@pytest.mark.parametrize(
    "line",
    [
        "2024;2;utfall;5011;200;2000,00",  # ansvar
        "2024;2;utfall;5012;100;2000,00",  # konto
        "2024;3;utfall;5011;100;2000,00",  # period
        "2024;2;utfall;5011;100;2000,01",  # belopp
    ],
)
def test_rows_that_differ_in_one_field_are_no_duplicates(ledger_from_text, config, line) -> None:
    """Line 11 with one field changed is a posting of its own."""
    data = reconcile_json(ledger_from_text(ledger(line)), config, "--through", "2")
    assert found(data, "duplicate-rows") == []


def test_duplicates_across_files(tmp_path, config) -> None:
    """The same row in two files (a file exported twice, in part): the finding names both files."""
    one = write(tmp_path / "jan.csv", ledger())
    two = write(tmp_path / "feb.csv", HEADER + "\n2024;2;utfall;5011;100;2000,00\n")
    result = reconcile(one, two, "--config", config, "--sign", "ledger", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (finding,) = found(json.loads(result.stdout), "duplicate-rows")
    assert sorted(finding["sources"]) == ["feb.csv:2", "jan.csv:11"]


def test_findings_per_account_and_per_duplicate_group_are_capped(ledger_from_text, config) -> None:
    """25 unmapped accounts and 25 groups of identical rows: 20 findings each, then one
    'more' finding that counts the rest."""
    extra = []
    for i in range(10, 35):
        extra += [f"2024;2;utfall;08{i};100;-1,00", f"2024;2;utfall;5{i};100;1,00", f"2024;2;utfall;5{i};100;1,00"]
    data = reconcile_json(ledger_from_text(ledger(*extra)), config, code=1)
    unmapped = found(data, "unmapped-account")
    assert [f["figures"]["account"] for f in unmapped[:20]] == [f"08{i}" for i in range(10, 30)]
    more = {"more": 5, "rows": 5, "amount_kr": -5.0}  # the rest: five accounts of one -1,00 row each
    assert (len(unmapped), unmapped[-1]["subject"], unmapped[-1]["figures"]) == (21, "5 more", more)
    assert unmapped[-1]["message"] == "… and 5 more accounts (5 rows, -5,00 kr ledger sign)"
    # The summary counts every account and group, not the lines shown.
    assert (data["summary"]["errors"], data["summary"]["warnings"]) == (25, 25)
    duplicates = found(data, "duplicate-rows")
    assert duplicates[0]["sources"] == [f"ledger.csv:{NEXT_LINE + 1}", f"ledger.csv:{NEXT_LINE + 2}"]
    assert (len(duplicates), duplicates[-1]["subject"], duplicates[-1]["figures"]) == (
        21,
        "5 more",
        {"more": 5, "rows": 10},
    )
    assert duplicates[-1]["message"] == "… and 5 more groups of identical rows (10 rows)"
    # The checks list counts them all too.
    assert {c["code"]: c["findings"] for c in data["checks"]}["unmapped-account"] == 25


# --- control totals --------------------------------------------------------------------------

CONTROLS = """\
rad;kolumn;belopp
Personalkostnader;outcome;-3 000,00
Årets resultat;budget;0
5011;budget;-5000
personalkostnader;Outcome_Previous;-3000,00
Verksamhetens intäkter;forecast;2 000
Kommunbidrag;forecast_deviation;0
5;outcome_change;0
Årets resultat;outcome_previous;−3 000
"""


def test_matching_control_totals_pass(ledger_from_text, config, tmp_path) -> None:
    """Rows (any case), account prefixes, every kind of column, Swedish amounts: all match CLEAN."""
    control = write(tmp_path / "control.csv", CONTROLS)
    data = reconcile_json(ledger_from_text(ledger()), config, "--control", control)
    assert data["findings"] == []
    assert status(data)["control-total"] == "pass"
    assert data["summary"]["exit_code"] == 0


def test_control_total_off_is_an_error_naming_the_control_line(ledger_from_text, config, tmp_path) -> None:
    """Line 3 of the control file expects −2 999,50 kr where the table has −3 000,00: an error
    with both figures, the difference and the control file's line; exit 1. An account prefix
    (line 4) is summed like a column."""
    control = write(
        tmp_path / "control.csv",
        "rad;kolumn;belopp\nÅrets resultat;budget;0\nPersonalkostnader;outcome;-2 999,50\n5011;outcome;-1000\n",
    )
    data = reconcile_json(ledger_from_text(ledger()), config, "--control", control, code=1)
    findings = found(data, "control-total")
    assert [(f["subject"], f["figures"], f["sources"]) for f in findings] == [
        (
            "Personalkostnader / Delårsbokslut 2024 (control.csv:3)",
            {
                "subject": "Personalkostnader",
                "column": "outcome",
                "table_kr": -3000.0,
                "control_kr": -2999.5,
                "difference_kr": -0.5,
                "tolerance_kr": 0.0,
            },
            ["control.csv:3"],
        ),
        (
            "konto 5011* / Delårsbokslut 2024 (control.csv:4)",
            {
                "subject": "5011",
                "column": "outcome",
                "table_kr": -3000.0,
                "control_kr": -1000.0,
                "difference_kr": -2000.0,
                "tolerance_kr": 0.0,
            },
            ["control.csv:4"],
        ),
    ]
    assert status(data)["control-total"] == "fail"
    assert data["summary"]["errors"] == 2


@pytest.mark.parametrize(("tolerance", "code"), [("0,50", 0), ("1", 0), ("0,49", 1), ("0", 1)])
def test_control_total_within_tolerance_passes(ledger_from_text, config, tmp_path, tolerance, code) -> None:
    """A difference of 0,50 kr passes with --tolerance 0,50 (inclusive) and fails below it."""
    control = write(tmp_path / "control.csv", "rad;kolumn;belopp\nPersonalkostnader;outcome;-2 999,50\n")
    data = reconcile_json(ledger_from_text(ledger()), config, "--control", control, "--tolerance", tolerance, code=code)
    assert len(found(data, "control-total")) == code


def test_bad_control_file_reports_every_problem_at_once(ledger_from_text, config, tmp_path) -> None:
    """An unknown row (line 2), an unknown column (line 3), no amount (line 4): exit 3, one
    Error per problem naming control-file:line, nothing on stdout, no -o file."""
    control = write(
        tmp_path / "control.csv",
        "rad;kolumn;belopp\n"
        "Personalkostnad;outcome;-3000\n"
        "Personalkostnader;utfall;-3000\n"
        "Personalkostnader;outcome;tre tusen\n",
    )
    out = tmp_path / "out.json"
    result = reconcile(
        ledger_from_text(ledger()), "--config", config, "--sign", "ledger", "--control", control, "-o", out
    )
    errors = error_exit(result, 3)
    assert [line.split(": column")[0] for line in errors] == [
        "Error: control.csv:2",
        "Error: control.csv:3",
        "Error: control.csv:4",
    ]
    assert "'Personalkostnad' is neither a row of the table" in errors[0]
    assert "'utfall' is no column; use budget, forecast" in errors[1]
    assert "'tre tusen' is no amount in kr" in errors[2]
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rad;kolumn;summa\nPersonalkostnader;outcome;0\n",
            "control.csv:1: --control file: no column belopp or amount or kr. The first",
        ),
        (
            "# kontrollsummor\n\nrad;belopp\nPersonalkostnader;0\n",
            "control.csv:3: --control file: no column kolumn or column. The first",
        ),
        ("", "control.csv: the --control file is empty"),
        ("rad;kolumn;belopp\nPersonalkostnader;outcome\n", "control.csv:2: --control line has 2 fields, the header 3"),
    ],
    ids=["no-amount-column", "no-column-column", "empty", "short-line"],
)
def test_control_file_with_a_bad_header_or_line(ledger_from_text, config, tmp_path, text, message) -> None:
    """A header without the amount (or column) column, an empty file, a short line: exit 3."""
    control = tmp_path / "control.csv"
    control.write_text(text, "utf-8")
    result = reconcile(ledger_from_text(ledger()), "--config", config, "--sign", "ledger", "--control", control)
    (error,) = error_exit(result, 3)
    assert error.startswith(f"Error: {message}")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tab.csv", b"rad\tkolumn\tbelopp\nPersonalkostnader\toutcome\t-2 999,50\n"),
        ("comma.csv", b'rad,kolumn,belopp\nPersonalkostnader,outcome,"-2 999,50"\n'),
        ("cp1252.csv", "rad;kolumn;belopp\nÅrets resultat;outcome;0,50\n".encode("cp1252")),
        ("bom.csv", "\ufeffRad;Kolumn;Belopp\nÅrets resultat;outcome;0,50\n".encode()),
    ],
    ids=["tab", "comma-quoted", "cp1252", "utf-8-bom"],
)
def test_control_file_dialects(ledger_from_text, config, tmp_path, name, data) -> None:
    """Tab- and comma-separated (amount quoted), cp1252 and UTF-8 with BOM control files are
    read: each holds one total 0,50 kr off, found with the right figures and line 2."""
    control = tmp_path / name
    control.write_bytes(data)
    result = reconcile_json(ledger_from_text(ledger()), config, "--control", control, code=1)
    (finding,) = found(result, "control-total")
    assert finding["figures"]["difference_kr"] == -0.5
    assert finding["sources"] == [f"{name}:2"]


def test_a_decimal_comma_in_a_comma_separated_control_file_is_an_error(ledger_from_text, config, tmp_path) -> None:
    """An unquoted -2999,50 in a comma-separated control file splits into '-2999' and '50':
    a line with more fields than the header is an error (exit 3, naming comma.csv:2), never
    a total of -2 999,00 kr that nobody wrote."""
    control = write(tmp_path / "comma.csv", "rad,kolumn,belopp\nPersonalkostnader,outcome,-2999,50\n")
    result = reconcile(ledger_from_text(ledger()), "--config", config, "--sign", "ledger", "--control", control)
    (error,) = error_exit(result, 3)
    assert error.startswith("Error: comma.csv:2")


def test_an_account_prefix_control_sums_only_what_the_table_shows(ledger_from_text, config, tmp_path) -> None:
    """An account-prefix control is summed like a column: with Finansnetto 8411 (100 kr in the
    table) and a closing entry on 8910 (excluded, rule "89" = "-"), `8;outcome;100` matches;
    `1;outcome;0` (balance sheet, excluded) likewise."""
    path = ledger_from_text(
        ledger("2024;2;utfall;8411;100;-100,00", "2024;2;utfall;8910;100;-700,00", "2024;2;utfall;1930;100;5000,00")
    )
    control = write(
        tmp_path / "control.csv", "rad;kolumn;belopp\nFinansnetto;outcome;100\n8;outcome;100\n1;outcome;0\n"
    )
    data = reconcile_json(path, config, "--control", control)
    assert found(data, "control-total") == []


@pytest.mark.parametrize("tolerance", ["abc", "-1"])
def test_bad_tolerance_is_a_usage_error(ledger_from_text, config, tolerance) -> None:
    """--tolerance abc (or a negative amount): exit 2, one Error naming the option."""
    result = reconcile(ledger_from_text(ledger()), "--config", config, "--tolerance", tolerance)
    (error,) = error_exit(result, 2)
    assert "--tolerance" in error
    assert repr(tolerance) in error


# --- output formats --------------------------------------------------------------------------


def test_json_structure(ledger_from_text, config) -> None:
    """The JSON of a failing run: its keys, a check entry per code in order, and a finding with
    every field a script needs."""
    data = reconcile_json(ledger_from_text(ledger(*TROUBLE)), config, code=1)
    assert list(data) == [
        "command",
        "year",
        "through",
        "unit",
        "files",
        "ledger_rows",
        "checks",
        "findings",
        "summary",
    ]
    assert (data["command"], data["year"], data["through"], data["unit"]) == ("reconcile", 2024, 2, "tkr")
    assert data["ledger_rows"] == 11 + len(TROUBLE)
    assert [check["code"] for check in data["checks"]] == ALL_CODES
    assert all(set(check) == {"code", "severity", "checks", "status", "findings"} for check in data["checks"])
    assert {check["code"]: (check["severity"], check["status"], check["findings"]) for check in data["checks"]} == {
        "unmapped-account": ("error", "fail", 1),
        "conservation": ("error", "pass", 0),
        "identity": ("error", "pass", 0),
        "control-total": ("error", "skipped", 0),
        "drill-parts": ("error", "skipped", 0),
        "unmapped-project": ("error", "skipped", 0),
        "ambiguous-project": ("error", "skipped", 0),
        "sie-voucher-balance": ("error", "skipped", 0),
        "budget-unbalanced": ("warning", "warn", 1),
        "missing-version": ("warning", "pass", 0),
        "missing-months": ("warning", "pass", 0),
        "missing-previous-year": ("warning", "pass", 0),
        "unused-version": ("warning", "pass", 0),
        "duplicate-rows": ("warning", "warn", 1),
        "sie-result": ("warning", "skipped", 0),
        "sie-period-balance": ("warning", "skipped", 0),
        "rounding-difference": ("info", "pass", 0),
        "sign-convention": ("info", "pass", 0),
        "sie-note": ("info", "skipped", 0),
        "no-final-line-end": ("info", "pass", 0),
        "investment-no-project": ("info", "skipped", 0),
    }
    assert all(set(f) == {"code", "severity", "subject", "message", "figures", "sources"} for f in data["findings"])
    assert [f["code"] for f in data["findings"]] == ["unmapped-account", "budget-unbalanced", "duplicate-rows"]


def junit(text: str) -> tuple[ET.Element, ET.Element, dict[str, ET.Element]]:
    """Parse JUnit XML: (root, its one testsuite, testcases by name)."""
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    (suite,) = root
    assert suite.tag == "testsuite"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert len(cases) == len(suite.findall("testcase")), "testcase names are not unique"
    return root, suite, cases


def assert_counts(root: ET.Element, suite: ET.Element) -> None:
    """tests/failures/skipped attributes agree with the testcases."""
    cases = suite.findall("testcase")
    failures = sum(case.find("failure") is not None for case in cases)
    skipped = sum(case.find("skipped") is not None for case in cases)
    assert suite.get("tests") == root.get("tests") == str(len(cases))
    assert suite.get("failures") == root.get("failures") == str(failures)
    assert suite.get("skipped") == str(skipped)
    assert suite.get("errors") == root.get("errors") == "0"


TROUBLE_CASES = {
    "unmapped-account: konto 0999",
    "conservation",
    "identity",
    "control-total",
    "drill-parts",
    *PROJECT_CHECKS,
    *SIE_CHECKS,
    "budget-unbalanced: Årets resultat / Budget 2024",
    "missing-version",
    "missing-months",
    "missing-previous-year",
    "unused-version",
    "duplicate-rows: ledger.csv:11",
    "rounding-difference",
    "sign-convention",
    "no-final-line-end",
}


@pytest.mark.parametrize("strict", [False, True])
def test_junit_has_a_testcase_per_check_and_per_finding(ledger_from_text, config, strict) -> None:
    """JUnit of TROUBLE: a testcase per check without findings (named by its code), one per
    finding (code: subject); the error fails, the warnings fail only under --strict,
    control-total is skipped; the counts agree."""
    args = ["--format", "junit", *(["--strict"] if strict else [])]
    result = reconcile(ledger_from_text(ledger(*TROUBLE)), "--config", config, "--sign", "ledger", *args)
    assert result.exit_code == 1
    root, suite, cases = junit(result.stdout)
    assert set(cases) == TROUBLE_CASES
    failing = {name for name, case in cases.items() if case.find("failure") is not None}
    warnings = {"budget-unbalanced: Årets resultat / Budget 2024", "duplicate-rows: ledger.csv:11"}
    assert failing == {"unmapped-account: konto 0999", *(warnings if strict else ())}
    failure = cases["unmapped-account: konto 0999"].find("failure")
    assert failure.get("type") == "error"
    assert failure.get("message").startswith("konto 0999 maps to no row")
    assert failure.text.endswith(f"ledger.csv:{NEXT_LINE}")
    assert cases["control-total"].find("skipped").get("message") == "no --control file given"
    assert cases["conservation"].find("system-out").text.startswith("OK: ")
    assert cases["duplicate-rows: ledger.csv:11"].get("classname") == "kfollow.reconcile.duplicate-rows"
    assert_counts(root, suite)
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
        str(len(CHECKS)),
        "3" if strict else "1",
        str(len(NOT_RUN)),
    )


def test_junit_of_a_clean_run_with_controls_and_info(ledger_from_text, config, tmp_path) -> None:
    """ROUNDING with a matching control total: no failures, only the project checks skipped, info findings as
    passing testcases of their own."""
    control = write(tmp_path / "control.csv", "rad;kolumn;belopp\nPersonalkostnader;outcome;-1400\n")
    path = ledger_from_text(ROUNDING)
    result = reconcile(path, "--config", config, "--sign", "ledger", "--format", "junit", "--control", control)
    assert result.exit_code == 0, result.output
    root, suite, cases = junit(result.stdout)
    assert "control-total" in cases and cases["control-total"].find("skipped") is None
    rounding = [name for name in cases if name.startswith("rounding-difference: ")]
    assert sorted(rounding) == [
        "rounding-difference: Verksamhetens kostnader / Avv. utfall/periodbudget 2024",
        "rounding-difference: Verksamhetens kostnader / Delårsbokslut 2024",
        "rounding-difference: Verksamhetens kostnader / Diff. utfall 2023/2024",
    ]
    assert all(cases[name].find("system-out").text.startswith("info: ") for name in rounding)
    assert_counts(root, suite)
    assert (suite.get("failures"), suite.get("skipped")) == ("0", str(len(PROJECT_CHECKS) + len(SIE_CHECKS) + 1))


def test_text_groups_findings_by_severity_and_ends_with_the_summary(ledger_from_text, config) -> None:
    """Text of TROUBLE + a rounding difference: Errors, Warnings, Info in that order, each
    finding as `code: message`, the summary line last."""
    extra = (*TROUBLE, "2024;2;utfall;6011;100;1400,00", "2024;2;utfall;7011;100;1400,00")
    result = reconcile(ledger_from_text(ledger(*extra)), "--config", config, "--sign", "ledger")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    headings = [line for line in lines if line.startswith(("Errors", "Warnings", "Info"))]
    assert headings[:2] == ["Errors (1)", "Warnings (2)"]
    assert headings[2].startswith("Info (")
    info = int(headings[2][len("Info (") : -1])
    errors_at = lines.index("Errors (1)")
    assert lines[errors_at + 1].startswith("  unmapped-account: konto 0999 maps to no row")
    warnings_at = lines.index("Warnings (2)")
    assert {line.split(":")[0].strip() for line in lines[warnings_at + 1 : warnings_at + 3]} == {
        "budget-unbalanced",
        "duplicate-rows",
    }
    assert lines[-1] == f"reconcile 2024 months 1–2: 12 checks, 1 error, 2 warnings, {info} info: FAILED"
    assert result.stderr == ""


def test_strict_verdict_says_warnings_count(ledger_from_text, config) -> None:
    """A warning alone under --strict: FAILED, and the summary says why."""
    result = reconcile(ledger_from_text(ledger("2024;1;budget;5011;100;500,00")), "--config", config, "--strict")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == (
        "reconcile 2024 months 1–2: 12 checks, 0 errors, 1 warning, 0 info: FAILED (--strict: warnings count)"
    )


@pytest.mark.parametrize(("name", "fmt"), [("report.xml", "junit"), ("r.json", "json"), ("r.txt", "text")])
def test_output_file_format_from_its_ending(ledger_from_text, config, tmp_path, name, fmt) -> None:
    """-o report.xml writes JUnit, -o r.json JSON, anything else text; stdout stays empty, the
    summary line goes to stderr, and the file is written though the exit is 1."""
    out = tmp_path / name
    result = reconcile(ledger_from_text(ledger(*TROUBLE)), "--config", config, "--sign", "ledger", "-o", out)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "reconcile 2024 months 1–2: 12 checks, 1 error, 2 warnings, 0 info: FAILED\n"
    text = out.read_text("utf-8")
    if fmt == "junit":
        _, _, cases = junit(text)
        assert "unmapped-account: konto 0999" in cases
    elif fmt == "json":
        assert json.loads(text)["summary"]["exit_code"] == 1
    else:
        assert text.splitlines()[-1] == result.stderr.strip()


def test_several_outputs_in_one_run(ledger_from_text, config, tmp_path) -> None:
    """-o report.xml -o report.txt -o r.json: one load, each file in its ending's format, the
    verdict on stderr; --format with several -o, or one file twice, is a usage error."""
    path = ledger_from_text(ledger(*TROUBLE))
    xml, txt, js = tmp_path / "report.xml", tmp_path / "report.txt", tmp_path / "r.json"
    result = reconcile(path, "--config", config, "--sign", "ledger", "-o", xml, "-o", txt, "-o", js)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "reconcile 2024 months 1–2: 12 checks, 1 error, 2 warnings, 0 info: FAILED\n"
    assert "unmapped-account: konto 0999" in junit(xml.read_text("utf-8"))[2]
    assert txt.read_text("utf-8").splitlines()[-1] == result.stderr.strip()
    assert json.loads(js.read_text("utf-8"))["summary"]["errors"] == 1
    for args in (("--format", "json", "-o", xml, "-o", txt), ("-o", txt, "-o", txt)):
        result = reconcile(path, "--config", config, *args)
        assert result.exit_code == 2 and result.stderr.startswith("Error: "), result.output


def test_control_file_comments_keep_the_line_numbers(ledger_from_text, config, tmp_path) -> None:
    """# lines are comments (where a figure comes from), and lines are still counted from the
    top of the file."""
    control = write(
        tmp_path / "control.csv",
        "# Kontrollsummor från Raindance, 2024-09-05\nrad;kolumn;belopp\n# huvudboken, konto 5\n"
        "Personalkostnader;outcome;-1 000\n",
    )
    data = reconcile_json(ledger_from_text(ledger()), config, "--control", control, code=1)
    (finding,) = found(data, "control-total")
    assert finding["sources"] == ["control.csv:4"]
    assert finding["figures"]["control_kr"] == -1000.0


def test_format_option_beats_the_ending(ledger_from_text, config, tmp_path) -> None:
    """--format json -o out.xml writes JSON; on a clean ledger the summary on stderr says OK."""
    out = tmp_path / "out.xml"
    result = reconcile(ledger_from_text(ledger()), "--config", config, "--format", "json", "-o", out)
    assert result.exit_code == 0
    assert result.stderr == SUMMARY_CLEAN + "\n"
    assert json.loads(out.read_text("utf-8"))["findings"] == []


def test_sign_convention_is_info(ledger_from_text, config) -> None:
    """A file in report sign (personnel costs negative), read with --sign auto: an info finding
    about it, and otherwise the CLEAN result; exit 0."""
    flipped = [line.rsplit(";", 1) for line in CLEAN.splitlines()]
    text = "\n".join(f"{head};{amount[1:] if amount.startswith('-') else '-' + amount}" for head, amount in flipped)
    result = reconcile(ledger_from_text(ledger(base=text)), "--config", config, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    (finding,) = data["findings"]
    assert (finding["code"], finding["severity"], finding["subject"]) == ("sign-convention", "info", "ledger.csv")
    assert "read as report sign" in finding["message"]


# --- input that cannot be used ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_ledger_that_fails_to_load_exits_3_without_a_verdict(ledger_from_text, config, tmp_path, fmt) -> None:
    """A bad amount on line 13: exit 3, the Error names the line, nothing on stdout, no -o file,
    no 'OK' anywhere (a CI job must not read it as all clear)."""
    path = ledger_from_text(ledger("2024;2;utfall;5011;100;12,3,4"))
    result = reconcile(path, "--config", config, "--sign", "ledger", "--format", fmt)
    (error,) = error_exit(result, 3)
    assert error.startswith(f"Error: ledger.csv:{NEXT_LINE}")
    out = tmp_path / "report.xml"
    result = reconcile(path, "--config", config, "--sign", "ledger", "--format", fmt, "-o", out)
    error_exit(result, 3)
    assert not out.exists()


# --- the example ledger ----------------------------------------------------------------------

EXAMPLE_CONFIG = EXAMPLES / "kfollow.toml"


@pytest.mark.parametrize(
    ("ledger_name", "filter_args"),
    [
        ("ks-2024.csv", ("--exclude", "verksamhet=289")),
        ("ks-2024.xlsx", ("--exclude", "verksamhet=289")),
        ("ks-2024.csv", ("--where", "verksamhet=289")),
    ],
)
def test_example_ledger_reconciles_clean(ledger_name, filter_args) -> None:
    """The example kommun's Drift and Exploatering tables: no error, no warning, exit 0."""
    result = reconcile(EXAMPLES / ledger_name, "--config", EXAMPLE_CONFIG, *filter_args, "--format", "json")
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert (data["year"], data["through"]) == (2024, 8)
    assert (data["summary"]["errors"], data["summary"]["warnings"]) == (0, 0)
    assert codes(data) <= {"rounding-difference", "sign-convention"}
    assert set(status(data).values()) <= {"pass", "skipped", "info"}


def test_example_ledger_shows_the_reference_reports_rounding_difference() -> None:
    """Personalkostnader / Avv. prognos/budget prints 1 730 tkr while forecast − budget as
    printed gives 1 731: the reference report's famous rounding difference, as info."""
    result = reconcile(EXAMPLES / "ks-2024.csv", "--config", EXAMPLE_CONFIG, "--exclude", "verksamhet=289")
    assert result.exit_code == 0
    assert (
        "  rounding-difference: Personalkostnader / Avv. prognos/budget 2024: printed 1 730 tkr, "
        "Prognos helår 2024 − Budget 2024 as printed give 1 731 (-1 tkr)"
    ) in result.stdout.splitlines()
    result = reconcile(
        EXAMPLES / "ks-2024.csv", "--config", EXAMPLE_CONFIG, "--exclude", "verksamhet=289", "--format", "json"
    )
    data = json.loads(result.stdout)
    figures = [f["figures"] for f in found(data, "rounding-difference")]
    assert {
        "row": "Personalkostnader",
        "column": "forecast_deviation",
        "printed": 1730,
        "from_printed_parts": 1731,
        "difference": -1,
        "unit": "tkr",
    } in figures
    assert data["summary"]["info"] == len(data["findings"])
    drift = [f for f in data["findings"] if not f["subject"].startswith("Investeringar: ")]
    assert len(drift) == 11  # the Drift table's; the example's [investments] add their own
