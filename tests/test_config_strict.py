"""kfollow.toml is read whole or refused (issue 13; SPEC §1, §2, §7): keys that kfollow would
read as one, unknown sections and keys, values of the wrong type, and files that are no
kfollow.toml (too deep, too big, not UTF-8, a NUL) are each an `Error:` naming file:line,
exit 2 (config, as options), every problem at once. One named test per class, through the CLI
and through load_rules.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from click.testing import Result
from conftest import EXAMPLES, ROOT, run, write

from kfollow.errors import MAX_REPORTED, ConfigError
from kfollow.investments import TOTAL, UNCATEGORISED
from kfollow.mapping import CONFIG_SIZE, OWN_INVESTMENT_ROWS, load_rules

WHY = "kfollow matches keys as written, and a ledger's codes have none"
LEDGER = "år;period;version;konto;belopp\n2024;1;utfall;3011;-100,00\n2024;1;utfall;9111;-250,00\n"


def config_errors(tmp_path: Path, text: str | bytes) -> list[str]:
    """`kfollow variance` with kfollow.toml = text: exit 2, nothing on stdout, only `Error:`
    lines (returned without the prefix), no traceback."""
    config = tmp_path / "kfollow.toml"
    if isinstance(text, str):
        write(config, text)
    else:
        config.write_bytes(text)
    ledger = write(tmp_path / "ledger.csv", LEDGER)
    result: Result = run("variance", ledger, "--config", config, "--sign", "ledger", ok=False)
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.stdout == ""
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("Error: ") for line in lines), result.stderr
    return [line.removeprefix("Error: ") for line in lines]


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_rules(write(tmp_path / "k.toml", text))
    assert raised.value.exit_code == 2
    return raised.value.problems


# --- keys that kfollow would read as one -------------------------------------------------------


def test_keys_that_differ_only_by_space_are_one_error_naming_both(tmp_path: Path) -> None:
    """" 91 " beside "91" was read as two rules of which the later won in silence. Case and
    leading zeros count, as in the ledger ("04711" stays "04711"): "091", "a1" and "A1" are
    prefixes of their own, no error."""
    errors = config_errors(
        tmp_path,
        """
        [accounts]
        "91" = "Kommunbidrag"
        "091" = "-"
        "a1" = "-"
        "A1" = "Lokalhyror"
        " 91 " = "Övriga kostnader"
        """,
    )
    assert errors == [
        "kfollow.toml:6: [accounts] ' 91 ' and '91' at kfollow.toml:2 are the same account prefix but for the "
        "space around it; keep one"
    ]


def test_a_code_key_with_space_around_it_is_refused_with_what_to_write(tmp_path: Path) -> None:
    """A prefix is matched as written and the ledger's codes are stripped: " 91" would match
    nothing. Refused, with the key to write; [names.konto] likewise."""
    errors = config_errors(tmp_path, '[accounts]\n" 91" = "Kommunbidrag"\n[names.konto]\n"741\t" = "Konsult"\n')
    assert errors == [
        f"kfollow.toml:2: [accounts] ' 91': space around the key ({WHY}); write '91'",
        f"kfollow.toml:4: [names.konto] '741\\t': space around the key ({WHY}); write '741'",
    ]


def test_category_paths_that_are_one_are_an_error_with_both_lines(tmp_path: Path) -> None:
    """investments.py strips the parts of a path: "A / x" is "A/x". Refused when the config
    is read, by any command, with both keys and their lines."""
    problems = problems_of(tmp_path, '[investments]\n"A/x" = ["91"]\n"B" = []\n" A / x " = ["92"]\n')
    assert OWN_INVESTMENT_ROWS == (TOTAL, UNCATEGORISED)  # the names no category may have
    assert problems == [
        "k.toml:4: [investments] ' A / x ' and 'A/x' at k.toml:2 are the same category (space around \"/\" and "
        "at the ends does not count); keep one"
    ]


def test_lines_are_found_past_multiline_strings_inline_tables_and_arrays(tmp_path: Path) -> None:
    """tomllib gives no line numbers; the scan that finds them does not take text in a
    multi-line string or an array for a key, and follows dotted keys and [[tables]]."""
    text = (
        '# "91" = "x"\n'  # 1
        'note = """\n'  # 2
        '"91" = "not a key"\n'  # 3
        '[accounts]\n"""\n'  # 4-5
        "[accounts]\n"  # 6
        '"91" = "Kommunbidrag"\n'  # 7
        "[investments]\n"  # 8
        '"A" = [\n  "1", # [accounts]\n  "2",\n]\n'  # 9-12
        'options = { accounts = ["10"], acount = 1 }\n'  # 13
        "[[report.table]]\nname = 'Drift'\n[[report.table]]\n"  # 14-16
        "kind = 'drfit'\n"  # 17
        "[accounts.extra]\n"  # 18
    )
    assert problems_of(tmp_path, text) == [
        "k.toml:2: note = …: no such key; kfollow knows [accounts], [investments], [investments.options], "
        "[names.<dimension>], [year], and [report] with [[report.table]]",
        "k.toml:13: [investments.options] acount = …: no such key (did you mean accounts?); kfollow knows accounts",
        "k.toml:17: [[report.table]] #2 kind = 'drfit': give \"drift\" or \"investments\"",
        "k.toml:18: [accounts] 'extra' = a table: a row is text; use one of \"Verksamhetens intäkter\", "
        '"Personalkostnader", "Lokalhyror", "Köp av tjänster", "Övriga kostnader", "Kommunbidrag", '
        '"Finansnetto", "-"',
    ]


# --- unknown sections and keys -------------------------------------------------------------------


def test_unknown_sections_and_keys_are_each_named_with_the_known_ones(tmp_path: Path) -> None:
    """Ignored in silence before: a misspelt [accounts] left 9111 unmapped (or worse, a
    misspelt [investments.options] left the default accounts)."""
    errors = config_errors(
        tmp_path,
        """
        acount = 1
        [acounts]
        "91" = "Kommunbidrag"
        [investments]
        "Reinvestering/Fastigheter" = ["943"]
        [investments.option]
        accounts = ["1"]
        [investments.options]
        acount = ["1"]
        """,
    )
    known = (
        "kfollow knows [accounts], [investments], [investments.options], [names.<dimension>], [year], "
        "and [report] with [[report.table]]"
    )
    assert errors == [
        f"kfollow.toml:1: acount = …: no such key (did you mean [accounts]?); {known}",
        f"kfollow.toml:2: [acounts]: no such section (did you mean [accounts]?); {known}",
        "kfollow.toml:6: [investments.option]: no such section (did you mean [investments.options]?); kfollow "
        'knows [investments.options] and categories, "A/B" = ["943"]',
        "kfollow.toml:9: [investments.options] acount = …: no such key (did you mean accounts?); kfollow knows "
        "accounts",
    ]


def test_every_section_spec_defines_is_known_and_only_those(tmp_path: Path) -> None:
    """SPEC §2, §8–§12: [names.<dim>], [year] start_month and [report] with [[report.table]]
    are sections of features to come: no error. Their misspelt keys are."""
    spec = """
        [accounts]
        "91" = "Kommunbidrag"
        [names.konto]
        "741" = "Konsulttjänster"
        [names.verksamhet]
        "289" = "Exploatering"
        [year]
        start_month = 7
        [report]
        [[report.table]]
        name = "Drift"
        kind = "drift"
        exclude = ["verksamhet=289"]
        period_budget = true
        by = "konto"
        top = 3
        previous_forecast = "prognos-april"
        [[report.table]]
        name = "Investeringar"
        kind = "investments"
        where = "verksamhet=289"
        """
    assert load_rules(write(tmp_path / "spec.toml", spec)).sections["year"] == {"start_month": 7}
    misspelt = spec.replace("[names.verksamhet]", "[names.verksamhet2]").replace("top = 3", "tpo = 3")
    problems = problems_of(tmp_path, misspelt)
    assert [p.split(":")[1] for p in problems] == ["5", "16"]
    assert "[names.verksamhet2]: no such section (did you mean [names.verksamhet]?)" in problems[0]
    assert "[[report.table]] #1 tpo = …: no such key (did you mean top?)" in problems[1]


def test_readme_spec_and_example_configs_load(tmp_path: Path) -> None:
    """Every ```toml block of README.md and the example's kfollow.toml pass the checks; a
    block with a misspelt section does not (so the check runs at all)."""
    blocks = re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.DOTALL)
    assert len(blocks) >= 2
    for block in [*blocks, (EXAMPLES / "kfollow.toml").read_text("utf-8")]:
        load_rules(write(Path(tempfile.mkdtemp(dir=tmp_path)) / "kfollow.toml", block))
    with pytest.raises(ConfigError):
        load_rules(write(tmp_path / "k.toml", blocks[0].replace("[investments]", "[investment]")))


# --- values of the wrong type --------------------------------------------------------------------


def test_values_of_the_wrong_type_name_their_key(tmp_path: Path) -> None:
    errors = config_errors(
        tmp_path,
        """
        accounts = "x"
        [investments]
        "B" = "943"
        [investments.options]
        accounts = "1"
        [names.konto]
        "741" = 5
        [year]
        start_month = true
        """,
    )
    assert errors == [
        "kfollow.toml:1: accounts = 'x': must be the section [accounts]",
        "kfollow.toml:3: [investments] 'B' = '943': give a list of project-code prefixes, e.g. [\"943\"]",
        "kfollow.toml:5: [investments.options] accounts = '1': give a list of account prefixes, e.g. [\"10\"]",
        "kfollow.toml:7: [names.konto] '741' = 5: a name is text",
        "kfollow.toml:9: [year] start_month = true: give the month the fiscal year starts in, 1 to 12",
    ]


def test_a_row_of_the_wrong_type_or_name(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, '[accounts]\n"91" = 5\n"602" = "Övrig kostnader"\n')
    assert problems[0].startswith("k.toml:2: [accounts] '91' = 5: a row is text; use one of \"Verksamhetens")
    assert problems[1].startswith(
        "k.toml:3: [accounts] '602' = 'Övrig kostnader' is not a row of the Drift table (did you mean "
        "'Övriga kostnader'?); use one of"
    )


# --- files that are no kfollow.toml --------------------------------------------------------------


def test_deeply_nested_config_is_a_clean_error(tmp_path: Path) -> None:
    """tomllib recursed into a RecursionError: 'internal error' before."""
    for text in ("a = " + "[" * 100_000, '[accounts]\n"91" = ' + "{a = " * 100_000):
        (error,) = config_errors(tmp_path, text)
        assert error.startswith("kfollow.toml: arrays or inline tables nested too deep to read")


def test_config_that_is_not_utf8_names_the_byte_line_and_column(tmp_path: Path) -> None:
    text = '[accounts]\n"91" = "Kommunbidrag"\n"602" = "Övriga kostnader"\n'.encode("cp1252")
    assert config_errors(tmp_path, text) == [
        "kfollow.toml:3:10: byte 0xd6 is not UTF-8; save kfollow.toml as UTF-8"
    ]


def test_config_with_a_nul_byte_names_its_place(tmp_path: Path) -> None:
    assert config_errors(tmp_path, b'[accounts]\n"91" = "Kommun\0bidrag"\n') == [
        "kfollow.toml:2:15: a NUL byte; kfollow.toml is text, saved as UTF-8"
    ]


def test_utf16_config_says_so_and_a_bom_is_read(tmp_path: Path) -> None:
    text = '[accounts]\n"91" = "Kommunbidrag"\n'
    assert config_errors(tmp_path, text.encode("utf-16")) == ["kfollow.toml: UTF-16 text; save kfollow.toml as UTF-8"]
    (tmp_path / "bom.toml").write_bytes(text.encode("utf-8-sig"))  # Notepad's "UTF-8 with BOM"
    assert load_rules(tmp_path / "bom.toml").accounts["91"].row == "Kommunbidrag"


def test_config_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    """A kfollow.toml over 2 MiB is no kommun's (theirs are KiB); refused before it is read (a
    sparse file: nothing written)."""
    config = tmp_path / "kfollow.toml"
    with config.open("wb") as file:
        file.truncate(CONFIG_SIZE + 1)
    with pytest.raises(ConfigError) as raised:
        load_rules(config)
    assert raised.value.problems == [
        "kfollow.toml: over 2 MiB, too large for a kfollow.toml (a kommun's is a few KiB); is it the file you "
        "meant to give as --config?"
    ]


def test_a_number_too_long_for_python_is_a_clean_error(tmp_path: Path) -> None:
    """tomllib's int() raised a ValueError past 4 300 digits: 'internal error' before."""
    assert config_errors(tmp_path, "[year]\nstart_month = " + "9" * 5000 + "\n") == [
        "kfollow.toml:2: a number of thousands of digits; is it the file you meant to give as --config?"
    ]


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    assert config_errors(tmp_path, '[accounts]\n"91" = Kommunbidrag\n') == [
        "kfollow.toml:2:8: not valid TOML: Invalid value"
    ]


# --- every problem at once, capped ---------------------------------------------------------------


def test_every_problem_is_reported_at_once_and_capped(tmp_path: Path) -> None:
    rules = "".join(f'"{n} " = "Övriga kostnader"\n' for n in range(30))
    errors = config_errors(tmp_path, f"[acounts]\n[accounts]\n{rules}")
    assert len(errors) == MAX_REPORTED + 1
    assert errors[0].startswith("kfollow.toml:1: [acounts]: no such section")
    assert errors[1] == f"kfollow.toml:3: [accounts] '0 ': space around the key ({WHY}); write '0'"
    assert errors[-2].startswith("kfollow.toml:21: [accounts] '18 '")
    assert errors[-1] == "… and 11 more in kfollow.toml"
