"""`kfollow init` (issue 12, item 6; SPEC §11): a kfollow.toml to start from, never over a file."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from conftest import EXAMPLES, run, write

import kfollow
from kfollow.starter import Figures, Listing, dimension_lines, write_new

CSV = EXAMPLES / "ks-2024.csv"

# 9111 kommunbidrag (with a row in 2023 only too), 8711 extraordinär intäkt, 8011 skatt; projects
# 94310 (2024) and 95110 (2023 only) on investment accounts, and a 1190 row without a project.
SMALL = """\
    år;period;version;konto;ansvar;verksamhet;projekt;belopp
    2023;12;utfall;9111;100;28100;;-1000
    2024;1;budget;9111;100;28100;;-12000
    2024;1;utfall;9111;100;28100;;-1000
    2024;1;utfall;5011;100;28100;;700,50
    2024;2;utfall;8011;100;28910;;-50
    2024;2;utfall;8711;100;28910;;-5
    2024;2;utfall;1190;110;28910;94310;2 500
    2024;2;budget;1190;110;28910;94310;10 000
    2023;6;utfall;1221;110;28100;95110;300
    2024;2;utfall;1190;110;28910;;-100
"""

HEADER = """\
# kfollow.toml for {name}, written by `kfollow init`: a start, to check and complete.
# The comments give rows and amounts of 2024 (the latest year with outcome; --year YEAR for
# another), in kr, ledger sign (debit +: costs and investment expenditure +, revenue and
# kommunbidrag −). Accounts, projects and codes that only other years have are listed too.

[accounts]
# Account prefix = Drift row, one of
#   "Verksamhetens intäkter", "Personalkostnader", "Lokalhyror", "Köp av tjänster",
#   "Övriga kostnader", "Kommunbidrag", "Finansnetto", or "-" (in no table).
# The longest matching prefix wins, over kfollow's built-in Kommun-Bas map (3 intäkter, 5
# personal, 60 lokalhyror, 46, 74, 75 köp av tjänster, 4, 6, 7 övriga kostnader, 84, 85
# finansnetto; 1, 2, 89 in no table). A shorter prefix ("91") covers every account under it.
# Below: each account of the ledger that the built-in map does not place, with a suggested row.
"""

INVESTMENTS = """
[investments]
# Category path = project-code prefixes; the order here is the table's (kfollow investments).
# "/" nests categories: a parent is the sum of its sub-categories. For example:
#   "Expansionsinvestering/Exploatering" = ["920"]
#   "Reinvestering/Fastigheter" = ["943", "944"]
#   "Imageinvestering" = []  # no projects this year: a row of zeros
"""

OPTIONS = """
# [investments.options]
# accounts = ["10", "11", "12"]  # the default: Kommun-Bas 10-12
"""

EXPECTED_SMALL = (
    HEADER.format(name="ledger.csv")
    + """
# Class 9 is no Kommun-Bas class: kommuner keep their internal accounts there, and most book the
# kommunbidrag on one (Kommun-Bas has no account for it). Check that each is kommunbidrag (a
# credit: negative here); another internal item belongs on another row.
"9111" = "Kommunbidrag"  # 2 rows: budget -12 000,00 kr, utfall -1 000,00 kr

# Extraordinära poster (87 intäkter, 88 kostnader) have no row of their own in the Drift table:
# suggested by their class. Check them.
"8711" = "Verksamhetens intäkter"  # 1 row: utfall -5,00 kr

# Skatteintäkter (80), generella statsbidrag and utjämning (82, 83) are the kommun's financing,
# no row of a nämnd's Drift table. TO DECIDE; until then "-" leaves them out of every table.
"8011" = "-"  # TO DECIDE; 1 row: utfall -50,00 kr
"""
    + INVESTMENTS
    + """\
# The 2 projects on the investment accounts (10*, 11*, 12*), to group into categories:
#   94310  2 rows: budget 10 000,00 kr, utfall 2 500,00 kr
#   95110  no rows in 2024 (1 row in other years)
"""
    + OPTIONS
    + """
# Filters are options, not kfollow.toml: --where DIM=PREFIX keeps the rows whose DIM code starts
# with PREFIX, --exclude DIM=PREFIX drops them. For example:
#   kfollow variance ledger.csv --exclude verksamhet=28910
# This ledger's codes, by the longest prefix that needs at most 15 lines:
# ansvar: 2 codes
#   ansvar=100  5 rows
#   ansvar=110  3 rows
# verksamhet: 2 codes
#   verksamhet=28100  3 rows
#   verksamhet=28910  5 rows
# projekt: 2 codes
#   projekt=94310  2 rows
#   projekt=95110  no rows in 2024 (1 row in other years)
#   (no code)      6 rows
"""
)


def test_the_file_for_a_small_ledger(ledger_from_text, tmp_path: Path) -> None:
    """Every unplaced account with its suggestion and figures of the latest year with outcome,
    the projects on investment accounts, the dimensions' codes; "-" accounts named on stderr."""
    ledger = ledger_from_text(SMALL)
    out = tmp_path / "new.toml"
    result = run("init", ledger, "-o", out)
    assert result.stdout == ""
    assert out.read_text("utf-8") == EXPECTED_SMALL
    assert result.stderr == (
        'Warning: 1 account(s) are written as "-" (in no table) until their row is decided: 8011 '
        "(TO DECIDE in the file)\n"
    )


def test_a_ledger_the_built_in_map_places_whole(ledger_from_text) -> None:
    """Nothing to add to [accounts], no projects, no dimensions: no filters."""
    ledger = ledger_from_text("år;period;version;konto;belopp\n2024;1;budget;5011;100\n2024;1;utfall;3011;-40\n")
    expected = (
        HEADER.format(name="ledger.csv")
        + "# (The built-in map places every account of this ledger: nothing to add.)\n"
        + INVESTMENTS
        + "# No row on the investment accounts (10*, 11*, 12*) has a project: nothing to group.\n"
        + OPTIONS
    )
    result = run("init", ledger, "-o", "-")
    assert result.stdout == expected and result.stderr == ""


def test_dash_prints_and_the_library_gives_the_same(ledger_from_text, tmp_path: Path, monkeypatch) -> None:
    """-o - prints the file and writes none; kfollow.starter_config is what the command prints."""
    monkeypatch.chdir(tmp_path)
    ledger = ledger_from_text(SMALL)
    assert run("init", ledger, "-o", "-").stdout == EXPECTED_SMALL
    assert not (tmp_path / "kfollow.toml").exists()
    starter = kfollow.starter_config(kfollow.read_ledger([ledger]))
    assert starter.text == EXPECTED_SMALL and starter.undecided == ("8011",)


def test_it_never_overwrites_a_file(ledger_from_text, tmp_path: Path, monkeypatch) -> None:
    """The default ./kfollow.toml is written once; then (and for any -o that exists) exit 2 with
    an Error: line, the file as it was, and no temporary file left behind."""
    monkeypatch.chdir(tmp_path)
    ledger = ledger_from_text(SMALL)
    run("init", ledger)
    assert (tmp_path / "kfollow.toml").read_text("utf-8") == EXPECTED_SMALL
    mine = write(tmp_path / "mine.toml", '[accounts]\n"91" = "Kommunbidrag"\n')
    for target, before in ((None, EXPECTED_SMALL), (mine, mine.read_text("utf-8"))):
        args = ["init", ledger] if target is None else ["init", ledger, "-o", target]
        result = run(*args, ok=False)
        name = target or "kfollow.toml"
        assert result.exit_code == 2
        assert result.stderr == (
            f"Error: -o {name}: the file exists, and kfollow init never overwrites a file; "
            "give another -o FILE (or -o - to print it)\n"
        )
        assert (tmp_path / Path(name).name).read_text("utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kfollow.toml", "ledger.csv", "mine.toml"]


def test_a_file_that_appears_during_the_load_is_kept(ledger_from_text, tmp_path: Path, monkeypatch) -> None:
    """The check before the load passed, then the file appeared: exit 2, the file as it was."""
    from kfollow import cli as cli_module

    ledger = ledger_from_text(SMALL)
    there = write(tmp_path / "k.toml", "mine\n")
    monkeypatch.setattr(cli_module, "_check_new", lambda output: None)
    result = run("init", ledger, "-o", there, ok=False)
    assert result.exit_code == 2 and there.read_text("utf-8") == "mine\n"
    assert result.stderr == (
        f"Error: -o {there}: the file appeared while kfollow init ran and is left as it is; "
        "give another -o FILE (or -o - to print it)\n"
    )


def test_write_new_does_not_replace_a_file_that_appears(tmp_path: Path, monkeypatch) -> None:
    """Where the file appears between the check and the write it is left as it is; on a file
    system without hard links the file is created exclusively."""
    there = write(tmp_path / "k.toml", "mine\n")
    with pytest.raises(FileExistsError):
        write_new(there, b"new\n")
    assert there.read_text("utf-8") == "mine\n"

    def no_links(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with pytest.raises(FileExistsError):
        write_new(there, b"new\n")
    write_new(tmp_path / "other.toml", b"new\n")
    assert there.read_text("utf-8") == "mine\n" and (tmp_path / "other.toml").read_text("utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.toml", "other.toml"]


def test_usage_errors(ledger_from_text, tmp_path: Path) -> None:
    """--config is refused (init starts from the built-in map), so is a folder that does not
    exist and a --year without rows; each exit 2, nothing written."""
    ledger = ledger_from_text(SMALL)
    cases = [
        (["--config", EXAMPLES / "kfollow.toml", "-o", "-"], "init writes a kfollow.toml from the built-in"),
        (["-o", tmp_path / "no" / "k.toml"], "the folder"),
        (
            ["--year", "2030", "-o", "-"],
            "--year 2030: the (filtered) ledger has no rows for 2030; years found: 2023, 2024",
        ),
    ]
    for args, message in cases:
        result = run("init", ledger, *args, ok=False)
        assert result.exit_code == 2 and message in result.stderr and result.stdout == "", args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.csv"]


def test_year_and_filters_choose_the_figures(ledger_from_text) -> None:
    """--year shows that year's figures; --where selects the rows first."""
    ledger = ledger_from_text(SMALL)
    text = run("init", ledger, "--year", "2023", "-o", "-").stdout
    assert "of 2023 (--year), in kr" in text
    assert '"9111" = "Kommunbidrag"  # 1 row: utfall -1 000,00 kr\n' in text
    assert "#   94310  no rows in 2023 (2 rows in other years)\n#   95110  1 row: utfall 300,00 kr\n" in text
    text = run("init", ledger, "--where", "ansvar=110", "-o", "-").stdout
    assert "(The built-in map places every account of this ledger: nothing to add.)" in text
    assert "# ansvar: 1 code\n#   ansvar=110  3 rows\n" in text


def test_variance_runs_on_what_init_wrote_for_the_example(tmp_path: Path) -> None:
    """The example ledger: 9111 as Kommunbidrag gives the same Drift tables as
    examples/kfollow.toml ("91"), with and without exploatering."""
    written = tmp_path / "kfollow.toml"
    run("init", CSV, "-o", written)
    rules = tomllib.loads(written.read_text("utf-8"))
    assert rules["accounts"] == {"9111": "Kommunbidrag"}
    for where in (["--exclude", "verksamhet=289"], ["--where", "verksamhet=289"]):
        mine = run("variance", CSV, "--config", written, *where).stdout
        assert mine == run("variance", CSV, "--config", EXAMPLES / "kfollow.toml", *where).stdout
    assert run("reconcile", CSV, "--config", written).exit_code == 0
    # No category yet: investments stops and says what to add.
    result = run("investments", CSV, "--config", written, ok=False)
    assert result.exit_code == 2 and f"Error: {written}: no [investments] categories. Add them" in result.stderr


def test_the_projects_listed_are_every_project_investments_needs(tmp_path: Path) -> None:
    """The example's 24 projects on investment accounts, each on a line with its figures; put
    into categories as listed, `kfollow investments` finds none left over."""
    text = run("init", CSV, "-o", "-").stdout
    part = text[text.index("[investments]") : text.index("# [investments.options]")]
    assert "# The 24 projects on the investment accounts (10*, 11*, 12*), to group into categories:\n" in part
    assert "#   92041  8 rows: prognos 4 300 000,00 kr, utfall 4 249 873,37 kr, prognos-april 5 237 660,74 kr\n" in part
    assert "#   91011  no rows in 2024 (3 rows in other years)\n" in part
    projects = [line.split()[1] for line in part.splitlines() if line.startswith("#   9")]
    assert len(projects) == 24
    by_first = {}
    for code in projects:
        by_first.setdefault(code[:2], []).append(code)
    categories = "".join(f'"Kategori {p}" = {codes}\n'.replace("'", '"') for p, codes in by_first.items())
    config = write(tmp_path / "k.toml", text.replace("[investments]\n", "[investments]\n" + categories))
    table = run("investments", CSV, "--config", config, "--unit", "kr", "--format", "csv").stdout
    assert "Ej kategoriserat" not in table
    assert table.splitlines()[1].startswith("Kategori 91,row,0,")


def test_undecided_accounts_are_left_out_until_decided(ledger_from_text, tmp_path: Path) -> None:
    """What init writes for a ledger with a TO DECIDE account is valid: variance runs, with
    that account in no row, and 8711 as revenue."""
    ledger = ledger_from_text(SMALL)
    written = tmp_path / "k.toml"
    run("init", ledger, "-o", written)
    result = run("variance", ledger, "--config", written, "--unit", "kr", "--format", "csv")
    rows = {line.split(",")[0]: line.split(",") for line in result.stdout.splitlines()[1:]}
    assert rows["Verksamhetens intäkter"][6] == "5"  # outcome: 8711, not 8011's 50
    assert rows["Kommunbidrag"][6] == "1000"


def test_awkward_codes_are_valid_toml(ledger_from_text, tmp_path: Path) -> None:
    """Codes with quotes, backslashes and non-ASCII are written as TOML strings that
    kfollow's config loader reads back as the same accounts."""
    ledger = ledger_from_text(
        'år;period;version;konto;verksamhet;belopp\n2024;1;utfall;5011;"a\\b";10\n'
        '2024;1;utfall;"9""1";"x""y";-3\n2024;1;utfall;Ö7;z;4\n'
    )
    written = tmp_path / "k.toml"
    run("init", ledger, "-o", written)
    rules = kfollow.load_rules(written)
    assert {prefix: rule.row for prefix, rule in rules.accounts.items() if rule.origin == "k.toml"} == {
        '9"1': "Kommunbidrag",
        "Ö7": "-",
    }
    assert '#   verksamhet=x"y  1 row\n' in written.read_text("utf-8")  # printable: as it is
    assert run("variance", ledger, "--config", written).exit_code == 0


def test_many_codes_are_grouped_by_prefix() -> None:
    """Over 15 codes: by the longest prefix that needs at most 15 lines (289, not 2891); codes
    sharing no first character: the first 15 and how many more."""
    versions = ("utfall",)

    def listing(codes: list[str]) -> Listing:
        return Listing(versions, 2024, tuple(Figures(code, 1, (1,), (100,)) for code in codes))

    codes = [f"28{i}00" for i in range(1, 8)] + ["28910", "28920", "28950"] + [f"1{i}100" for i in range(6)]
    lines = dimension_lines("verksamhet", listing(sorted(codes)))
    assert lines[0] == "# verksamhet: 16 codes"
    assert "#   verksamhet=289  3 rows (28910, 28920, 28950)" in lines and len(lines) == 15
    letters = [chr(ord("A") + i) + "1" for i in range(20)]
    lines = dimension_lines("motpart", listing(letters))
    assert lines[0] == "# motpart: 20 codes" and lines[-1] == "#   … and 5 more" and len(lines) == 17
