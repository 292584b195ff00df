"""Mapping: the built-in Kommun-Bas map, kfollow.toml over it, longest prefix, exclusion."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import run, write

from kfollow.errors import ConfigError
from kfollow.mapping import BUILT_IN, load_rules, match_accounts

LEDGER = """
år;period;version;konto;belopp
2024;1;utfall;3011;-100,00
2024;1;utfall;5011;300,00
2024;1;utfall;6011;40,00
2024;1;utfall;6021;2,00
2024;1;utfall;4631;10,00
2024;1;utfall;8911;999,00
2024;1;utfall;9111;-250,00
"""


def rows_of(accounts: list[str], config: Path | None) -> list[str | None]:
    rules = load_rules(config)
    return [r.row if r else None for r in match_accounts(pd.Index(accounts), rules)]


def test_built_in_map_longest_prefix_wins() -> None:
    """46 beats 4, 60 beats 6, 74/75 beat 7; 1, 2 and 89 are excluded; 9 maps nowhere."""
    got = rows_of(
        [
            "3011",
            "4011",
            "4631",
            "5611",
            "6011",
            "6411",
            "7431",
            "7511",
            "7911",
            "8441",
            "8521",
            "1510",
            "2440",
            "8911",
            "8011",
            "9111",
        ],
        None,
    )
    assert got == [
        "Verksamhetens intäkter",
        "Övriga kostnader",
        "Köp av tjänster",
        "Personalkostnader",
        "Lokalhyror",
        "Övriga kostnader",
        "Köp av tjänster",
        "Köp av tjänster",
        "Övriga kostnader",
        "Finansnetto",
        "Finansnetto",
        "-",
        "-",
        "-",
        None,
        None,
    ]


def test_config_rules_lay_over_the_built_in_map(tmp_path: Path) -> None:
    """A kommun's prefix beats a shorter built-in one; an equal prefix replaces it."""
    config = write(
        tmp_path / "kfollow.toml",
        """
        [accounts]
        "91" = "Kommunbidrag"
        "602" = "Övriga kostnader"
        "6" = "Lokalhyror"
        "80" = "-"
    """,
    )
    rules = load_rules(config)
    assert rows_of(["9111", "6021", "6011", "6411", "8011"], config) == [
        "Kommunbidrag",
        "Övriga kostnader",
        "Lokalhyror",
        "Lokalhyror",
        "-",
    ]
    assert rules.accounts["60"].origin == BUILT_IN
    assert rules.accounts["602"].origin == "kfollow.toml"


def test_config_names_a_row_that_does_not_exist(tmp_path: Path) -> None:
    config = write(tmp_path / "kfollow.toml", '[accounts]\n"602" = "Övrig kostnader"\n"7" = 3\n')
    with pytest.raises(ConfigError) as raised:
        load_rules(config)
    assert len(raised.value.problems) == 2
    assert "kfollow.toml:2: [accounts] '602' = 'Övrig kostnader' is not a row of the Drift" in raised.value.problems[0]
    assert '"Övriga kostnader"' in raised.value.problems[0]


def test_config_that_is_not_toml(tmp_path: Path, ledger_from_text) -> None:
    config = write(tmp_path / "kfollow.toml", '[accounts\n"91" = "Kommunbidrag"\n')
    result = run("variance", ledger_from_text(LEDGER), "--config", config, ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: kfollow.toml:1:10: not valid TOML")


def test_excluded_and_configured_accounts_in_the_table(tmp_path: Path, ledger_from_text, config) -> None:
    """89 is excluded (in no row, no error); 602 markhyra stays Lokalhyror by default."""
    result = run(
        "variance", ledger_from_text(LEDGER), "--config", config, "--unit", "kr", "--format", "json", "--sign", "ledger"
    )
    values = {r["label"]: r["values"]["outcome"] for r in json.loads(result.stdout)["rows"]}
    assert values["Verksamhetens intäkter"] == 100
    assert values["Personalkostnader"] == -300
    assert values["Lokalhyror"] == -42
    assert values["Köp av tjänster"] == -10
    assert values["Kommunbidrag"] == 250
    assert values["Årets resultat"] == 100 - 300 - 42 - 10 + 250


def test_kfollow_toml_in_the_working_folder_is_used(tmp_path: Path, ledger_from_text, monkeypatch) -> None:
    """Without --config, ./kfollow.toml applies; without it, 9111 is unmapped."""
    ledger = ledger_from_text(LEDGER)
    monkeypatch.chdir(tmp_path)
    assert run("variance", ledger, "--sign", "ledger", ok=False).exit_code == 3
    write(tmp_path / "kfollow.toml", '[accounts]\n"91" = "Kommunbidrag"\n')
    assert "Kommunbidrag" in run("variance", ledger, "--sign", "ledger").stdout


def test_accounts_lists_rule_rows_and_amounts(ledger_from_text, config) -> None:
    """`kfollow accounts`: every account, its row, the rule and origin, rows and kr per version."""
    result = run(
        "accounts",
        ledger_from_text(LEDGER + "2024;1;budget;9999;5,00\n"),
        "--config",
        config,
        "--format",
        "json",
        "--sign",
        "ledger",
    )
    listing = {a["account"]: a for a in json.loads(result.stdout)}
    assert listing["6021"]["row"] == "Lokalhyror" and listing["6021"]["rule"] == "60 (Kommun-Bas)"
    assert listing["9111"]["rule"] == "91 (kfollow.toml)"
    assert listing["8911"]["row"] == "(exkluderas)"
    assert listing["9999"]["row"] == "EJ MAPPAT" and listing["9999"]["rule"] == ""
    assert listing["5011"]["amounts_kr"] == {"budget": 0, "utfall": 300}
    assert listing["9999"]["rows"] == 1
