"""Drill-down, shares and materiality (SPEC §8): parts against an independent computation
(pandas on the ledger CSV), exact sums, --top, --row, names, --percent, --threshold, xlsx."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import EXAMPLES, KOMMUNBIDRAG, run, without_column, write

from kfollow import api
from kfollow.report import Drill, Report

LEDGER = EXAMPLES / "ks-2024.csv"
CONFIG = EXAMPLES / "kfollow.toml"
YEAR, THROUGH = 2024, 8

# Kommun-Bas with the example's Kommunbidrag: prefix -> Drift row (longest prefix wins)
DRIFT_PREFIXES = {
    "3": "Verksamhetens intäkter",
    "5": "Personalkostnader",
    "60": "Lokalhyror",
    "46": "Köp av tjänster",
    "74": "Köp av tjänster",
    "75": "Köp av tjänster",
    "4": "Övriga kostnader",
    "6": "Övriga kostnader",
    "7": "Övriga kostnader",
    "84": "Finansnetto",
    "85": "Finansnetto",
    "91": "Kommunbidrag",
}
# examples/kfollow.toml: leaf category -> project prefixes
CATEGORIES = {
    "Markinköp": ("91",),
    "Norra Stadsskogen": ("9201",),
    "Verksamhetsområde norr": ("9202",),
    "Övriga exploateringsområden": ("9203", "9204", "9205"),
    "Imageinvestering": (),
    "Inventarier": ("941",),
    "Tjänstekatalog": ("942",),
    "Fastigheter": ("943", "944"),
    "IT-infrastruktur": ("951",),
    "Lokalanpassningar": ("952",),
}


def ledger_frame() -> pd.DataFrame:
    """The example ledger read with pandas alone: amounts in öre."""
    frame = pd.read_csv(LEDGER, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    text = frame["belopp"].str.replace(" ", "").str.replace(",", ".")
    frame["ore"] = [int(Decimal(t) * 100) for t in text]
    frame["år"] = frame["år"].astype(int)
    frame["period"] = frame["period"].astype(int)
    return frame


def drift_row(account: str) -> str | None:
    hits = [p for p in DRIFT_PREFIXES if account.startswith(p)]
    return DRIFT_PREFIXES[max(hits, key=len)] if hits else None


def investment_row(account: str, project: str) -> str | None:
    if not account.startswith(("10", "11", "12")) or not project:
        return None
    return next((label for label, prefixes in CATEGORIES.items() if prefixes and project.startswith(prefixes)), None)


def expected(frame: pd.DataFrame, sign: int, drift: bool) -> dict[str, int]:
    """Every column of the table, öre in table sign, from the ledger rows of one part."""

    def pick(version: str, year: int, through: int = 12) -> int:
        rows = frame[(frame["version"] == version) & (frame["år"] == year) & (frame["period"] <= through)]
        return sign * int(rows["ore"].sum())

    out = {
        "budget": pick("budget", YEAR),
        "forecast": pick("prognos", YEAR),
        "outcome": pick("utfall", YEAR, THROUGH),
        "outcome_previous": pick("utfall", YEAR - 1, THROUGH),
    }
    out["forecast_deviation"] = out["forecast"] - out["budget"] if drift else out["budget"] - out["forecast"]
    out["outcome_change"] = out["outcome"] - out["outcome_previous"]
    if drift:
        out["period_budget"] = pick("budget", YEAR, THROUGH)
        out["period_deviation"] = out["outcome"] - out["period_budget"]
    return out


def drift_report(drill: Drill) -> Report:
    rules = api.load_rules(CONFIG)
    ledger = api.read_ledger([LEDGER], api.ReadOptions(columns=frozenset({"account_name", "ansvar"})))
    return api.drift_table(ledger, rules, api.ReportSpec(period_budget=True), drill=drill)


def investments_report(drill: Drill) -> Report:
    rules = api.load_rules(CONFIG)
    ledger = api.read_ledger([LEDGER], api.ReadOptions(columns=frozenset({"projekt", "account_name"})))
    return api.investment_table(ledger, rules, drill=drill)


def parts_by_parent(report: Report) -> dict[str, list]:
    out: dict[str, list] = {}
    for row in report.rows:
        if row.kind == "detail":
            out.setdefault(row.parent, []).append(row)
    return out


@pytest.mark.parametrize("by", ["konto", "ansvar"])
def test_drift_parts_equal_pandas_for_every_leaf_row_and_column(by: str) -> None:
    report = drift_report(Drill(by))
    assert (report.year, report.through) == (YEAR, THROUGH)
    frame = ledger_frame()
    frame["row"] = frame["konto"].map(drift_row)
    column = "konto" if by == "konto" else "ansvar"
    parts = parts_by_parent(report)
    leaves = [row for row in report.rows if row.kind == "row"]
    assert {row.label for row in leaves} == set(parts)
    for row in leaves:
        mine = frame[frame["row"] == row.label]
        codes = sorted(mine[column].unique())
        assert sorted(p.code for p in parts[row.label]) == codes
        for part in parts[row.label]:
            assert part.values == expected(mine[mine[column] == part.code], -1, True), (row.label, part.code)
            assert part.level == row.level + 1 and part.dimension == by
        # exact öre: the parts sum to their row in every column, before rounding
        for key, value in row.values.items():
            assert sum(p.values[key] for p in parts[row.label]) == value
        # sorted by the absolute last deviation (period_deviation), largest first
        deviations = [abs(p.values["period_deviation"]) for p in parts[row.label]]
        assert deviations == sorted(deviations, reverse=True)
    # subtotals and the total get no parts
    kinds = [(r.kind, report.rows[i + 1].kind) for i, r in enumerate(report.rows[:-1])]
    assert ("subtotal", "detail") not in kinds and report.rows[-1].kind == "total"


def test_drift_top_keeps_the_largest_and_sums_the_rest_into_ovrigt() -> None:
    report = drift_report(Drill("konto", top=2))
    frame = ledger_frame()
    frame["row"] = frame["konto"].map(drift_row)
    for parent, parts in parts_by_parent(report).items():
        mine = frame[frame["row"] == parent]
        by_code = {code: expected(mine[mine["konto"] == code], -1, True) for code in mine["konto"].unique()}
        ranked = sorted(by_code, key=lambda code: (-abs(by_code[code]["period_deviation"]), code))
        if len(ranked) <= 2:
            assert [p.code for p in parts] == ranked
            continue
        assert [p.code for p in parts] == [*ranked[:2], None]
        assert parts[-1].label == "Övrigt"
        rest = expected(mine[mine["konto"].isin(ranked[2:])], -1, True)
        assert parts[-1].values == rest
        row = next(r for r in report.rows if r.label == parent)
        for key, value in row.values.items():
            assert sum(p.values[key] for p in parts) == value


@pytest.mark.parametrize(("by", "top"), [("konto", None), ("projekt", None), ("projekt", 1)])
def test_investment_parts_equal_pandas(by: str, top: int | None) -> None:
    report = investments_report(Drill(by, top=top))
    frame = ledger_frame()
    frame["row"] = [investment_row(a, p) for a, p in zip(frame["konto"], frame["projekt"], strict=True)]
    parts = parts_by_parent(report)
    column = "konto" if by == "konto" else "projekt"
    for row in (r for r in report.rows if r.kind == "row"):
        mine = frame[frame["row"] == row.label]
        found = parts.get(row.label, [])
        by_code = {code: expected(mine[mine[column] == code], 1, False) for code in mine[column].unique()}
        ranked = sorted(by_code, key=lambda code: (-abs(by_code[code]["outcome_change"]), code))
        shown = ranked if top is None or len(ranked) <= top else ranked[:top]
        assert [p.code for p in found][: len(shown)] == shown, row.label
        for part in found:
            if part.code is not None:
                assert part.values == by_code[part.code], (row.label, part.code)
            else:
                assert part.values == expected(mine[mine[column].isin(ranked[top:])], 1, False)
        for key, value in row.values.items():
            assert sum(p.values[key] for p in found) == value
    assert any(parts.values())


def test_json_detail_rows_have_the_shape_of_spec_8_and_names_from_the_config(tmp_path: Path) -> None:
    config = write(tmp_path / "k.toml", KOMMUNBIDRAG + '[names.konto]\n"7431" = "Konsulttjänster"\n')
    nameless = without_column(LEDGER, tmp_path / "ks.csv", "kontotext")  # the ledger's names would win
    result = run("variance", nameless, "--config", config, "--by", "konto", "--format", "json", "-q")
    rows = json.loads(result.stdout)["rows"]
    part = next(r for r in rows if r["kind"] == "detail" and r["code"] == "7431")
    assert {k: part[k] for k in ("label", "level", "kind", "parent", "dimension", "code", "name")} == {
        "label": "7431 Konsulttjänster",
        "level": 1,
        "kind": "detail",
        "parent": "Köp av tjänster",
        "dimension": "konto",
        "code": "7431",
        "name": "Konsulttjänster",
    }
    unnamed = next(r for r in rows if r["kind"] == "detail" and r["code"] == "7451")
    assert (unnamed["label"], unnamed["name"]) == ("7451", None)
    assert "flag" not in part


SMALL = """\
år;period;version;konto;kontotext;ansvar;belopp
2024;1;budget;3111;Försäljning;10;-1000,00
2024;1;budget;3112;Avgifter;20;-1000,00
2024;1;budget;5011;Löner;10;2000,00
2024;12;prognos;3111;Försäljning;10;-1100,00
2024;12;prognos;3112;Avgifter;20;-960,00
2024;12;prognos;5011;Löner;10;2000,00
2024;1;utfall;3111;Försäljning;10;-500,40
2024;1;utfall;3112;Avgifter;20;-450,45
2024;1;utfall;5011;Löner;10;1000,00
"""


def small(tmp_path: Path, *args: str, config: str = KOMMUNBIDRAG) -> dict:
    ledger = write(tmp_path / "small.csv", SMALL)
    toml = write(tmp_path / "k.toml", config)
    return json.loads(run("variance", ledger, "--config", toml, "--unit", "kr", "--format", "json", "-q", *args).stdout)


def test_names_from_the_kontotext_column_before_the_config(tmp_path: Path) -> None:
    data = small(tmp_path, "--by", "konto", config=KOMMUNBIDRAG + '[names.konto]\n"3111" = "Annat"\n"5011" = "X"\n')
    labels = [(r["label"], r["level"]) for r in data["rows"] if r["kind"] == "detail"]
    # outcome_change is the last deviation (no period budget): 3111 500,40 before 3112 450,45
    assert labels == [("3111 Försäljning", 1), ("3112 Avgifter", 1), ("5011 Löner", 1)]


def test_row_drills_only_that_row_and_an_unknown_label_is_exit_2(tmp_path: Path) -> None:
    data = small(tmp_path, "--by", "ansvar", "--row", "personalkostnader")
    details = [r for r in data["rows"] if r["kind"] == "detail"]
    assert [(r["parent"], r["code"], r["label"]) for r in details] == [("Personalkostnader", "10", "10")]
    ledger = write(tmp_path / "small.csv", SMALL)
    toml = write(tmp_path / "k.toml", KOMMUNBIDRAG)
    result = run("variance", ledger, "--config", toml, "--by", "konto", "--row", "Nope", "-q", ok=False)
    assert result.exit_code == 2
    assert "--row 'Nope'" in result.stderr and "'Personalkostnader'" in result.stderr
    assert "Traceback" not in result.stderr
    result = run("variance", ledger, "--config", toml, "--top", "2", "-q", ok=False)
    assert result.exit_code == 2 and "--by" in result.stderr


def test_by_dim_n_groups_codes_by_their_first_characters(tmp_path: Path) -> None:
    data = small(tmp_path, "--by", "konto:2")
    details = [(r["parent"], r["code"], r["values"]["outcome"]) for r in data["rows"] if r["kind"] == "detail"]
    assert details == [("Verksamhetens intäkter", "31", 951), ("Personalkostnader", "50", -1000)]


def test_percent_and_threshold_hand_checked(tmp_path: Path) -> None:
    data = small(tmp_path, "--by", "konto", "--percent", "--threshold", "45", "--threshold", "4%")
    keys = [c["key"] for c in data["columns"]]
    assert keys[:4] == ["budget", "forecast", "forecast_deviation", "forecast_deviation_pct"]
    assert keys[-2:] == ["outcome_change", "outcome_change_pct"]
    rows = {r["label"]: r for r in data["rows"]}
    # 3111: forecast 1 100 against budget 1 000 -> +100 kr, 10,0 %; 3112: 960 against 1 000 -> −40, −4,0 %
    assert rows["3111 Försäljning"]["values"]["forecast_deviation_pct"] == 10.0
    assert rows["3112 Avgifter"]["values"]["forecast_deviation_pct"] == -4.0
    assert rows["Verksamhetens intäkter"]["values"]["forecast_deviation_pct"] == 3.0  # 60 / 2 000
    # no outcome 2023: the share of an empty column is null
    assert rows["Verksamhetens intäkter"]["values"]["outcome_change_pct"] is None
    # the last deviation is outcome_change (empty: 2023 has no outcome): nothing is flagged
    assert not any(r["flag"] for r in data["rows"])
    # without --threshold no row has a flag
    assert all("flag" not in r for r in small(tmp_path, "--by", "konto", "--percent")["rows"])


LEDGER_TWO_YEARS = """\
år;period;version;konto;belopp
2023;1;utfall;3111;-1000,00
2023;1;utfall;3112;-1000,00
2023;1;utfall;5011;1000,00
2024;1;utfall;3111;-1100,00
2024;1;utfall;3112;-1039,99
2024;1;utfall;5011;1000,00
2024;1;budget;3111;-1000,00
"""


def test_threshold_flags_rows_and_parts_whose_last_deviation_reaches_both_bounds(tmp_path: Path) -> None:
    ledger = write(tmp_path / "two.csv", LEDGER_TWO_YEARS)
    toml = write(tmp_path / "k.toml", KOMMUNBIDRAG)
    args = ["variance", ledger, "--config", toml, "--unit", "kr", "-q", "--by", "konto", "--percent"]
    data = json.loads(run(*args, "--threshold", "40", "--threshold", "4%", "--format", "json").stdout)
    rows = {r["label"]: r for r in data["rows"]}
    # outcome_change: 3111 +100 (10,0 %), 3112 +39,99 (4,0 %: below 40 kr), intäkter +139,99 (7,0 %)
    assert rows["3111"]["values"]["outcome_change_pct"] == 10.0
    assert rows["3112"]["values"]["outcome_change_pct"] == 4.0
    assert rows["Verksamhetens intäkter"]["values"]["outcome_change_pct"] == 7.0
    flags = {label: row["flag"] for label, row in rows.items()}
    assert flags["3111"] and not flags["3112"] and flags["Verksamhetens intäkter"]
    assert not flags["Personalkostnader"] and not flags["5011"]  # 0
    text = run(*args, "--threshold", "40", "--threshold", "4%").stdout
    assert "  3111 *" in text and "  3112 *" not in text
    assert "* Diff. utfall 2023/2024: avvikelsen är minst 40 kr och minst 4 %" in text
    # the percent bound alone: 3112's 4,0 % (39,99 / 1 000 = 3,999 %) does not reach 4 %
    data = json.loads(run(*args, "--threshold", "4%", "--format", "json").stdout)
    flagged = [r["label"] for r in data["rows"] if r["flag"]]
    assert flagged == ["Verksamhetens intäkter", "3111", "Verksamhetens nettokostnader", "Årets resultat"]
    csv_lines = run(*args, "--threshold", "40", "--format", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("label,kind,level,parent,dimension,code,name,flag,")
    assert csv_lines[2].startswith("3111,detail,1,Verksamhetens intäkter,konto,3111,,1,")
    bad = run(*args, "--threshold", "-5", ok=False)
    assert bad.exit_code == 2 and "--threshold" in bad.stderr


def test_text_indents_parts_and_keeps_rules_at_subtotals_only(tmp_path: Path) -> None:
    ledger = write(tmp_path / "two.csv", LEDGER_TWO_YEARS)
    toml = write(tmp_path / "k.toml", KOMMUNBIDRAG)
    lines = run("variance", ledger, "--config", toml, "--unit", "kr", "-q", "--by", "konto").stdout.splitlines()
    body = lines[lines.index(next(line for line in lines if line.startswith("---"))) + 1 :]
    assert body[0].startswith("Verksamhetens intäkter")
    assert body[1].startswith("  3111 ") and body[2].startswith("  3112 ")
    assert not body[3].startswith("---")
    markdown = run("variance", ledger, "--config", toml, "-q", "--by", "konto", "--format", "markdown").stdout
    assert "| \u00a0\u00a03111 " in markdown and "**3111" not in markdown


def test_xlsx_parts_are_grouped_collapsible_rows_and_flagged_rows_filled(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    ledger = write(tmp_path / "two.csv", LEDGER_TWO_YEARS)
    toml = write(tmp_path / "k.toml", '[accounts]\n"91" = "Kommunbidrag"\n[names.konto]\n"3111" = "=HYPERLINK(1)"\n')
    out = tmp_path / "t.xlsx"
    run("variance", ledger, "--config", toml, "-q", "--by", "konto", "--threshold", "0,03", "-o", out)
    sheet = load_workbook(out).active
    labels = [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)]
    assert labels[:3] == ["Verksamhetens intäkter", "3111 =HYPERLINK(1)", "3112"]
    levels = [sheet.row_dimensions[r].outline_level for r in range(2, sheet.max_row + 1)]
    assert levels[:4] == [0, 1, 1, 0]
    assert sheet.sheet_properties.outlinePr.summaryBelow is False
    assert sheet.cell(3, 1).data_type == "s" and not sheet.cell(3, 1).font.bold
    assert sheet.cell(3, 1).fill.fgColor.rgb.endswith("FFF2CC")  # 3111: +100 kr ≥ 0,03 tkr
    assert sheet.cell(4, 1).fill.fgColor.rgb.endswith("FFF2CC")  # 3112: +39,99 kr
    personnel = labels.index("Personalkostnader") + 2
    assert sheet.cell(personnel, 1).fill.fill_type is None  # 0


def test_names_from_sie_konto_records() -> None:
    result = run(
        "variance",
        EXAMPLES / "ks-2024.se",
        "--config",
        CONFIG,
        "--by",
        "konto",
        "--row",
        "Köp av tjänster",
        "--format",
        "json",
        "-q",
    )
    details = [r for r in json.loads(result.stdout)["rows"] if r["kind"] == "detail"]
    assert {r["parent"] for r in details} == {"Köp av tjänster"}
    part = next(r for r in details if r["code"] == "7451")
    assert (part["label"], part["name"]) == ("7451 Konsulttjänster", "Konsulttjänster")


def test_sie_objekt_names_the_parts_of_a_dimension() -> None:
    """SIE #OBJEKT 1 "2300" "Kost och lokalvård" names the ansvar part; [names.ansvar] is not needed."""
    args = ("variance", EXAMPLES / "ks-2024.se", "--forecast", EXAMPLES / "prognos-2024.csv")
    result = run(*args, "--config", EXAMPLES / "kfollow.toml", "--exclude", "verksamhet=289", "--by", "ansvar",
                 "--top", "1", "--row", "Personalkostnader", "--format", "json", "-q")
    parts = [row for row in json.loads(result.stdout)["rows"] if row["kind"] == "detail"]
    assert [(p["code"], p["name"], p["label"]) for p in parts] == [
        ("2300", "Kost och lokalvård", "2300 Kost och lokalvård"),
        (None, None, "Övrigt"),
    ]
    assert parts[0]["values"]["budget"] == -36992
