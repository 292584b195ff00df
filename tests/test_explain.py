"""kfollow explain (SPEC §10): each figure and direction word checked by hand on a small ledger;
the example's paragraphs as a whole (golden file); the reference report's own sentence."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import EXAMPLES, KOMMUNBIDRAG, run, write

EXPECTED = Path(__file__).resolve().parent / "data" / "expected"

# 2024, months 1–2 of outcome. Report sign: revenue +, costs −. In kr:
#   intäkter: period budget 2 000 (months 1–2), outcome 2 300 -> +300 positiv; budget 12 000,
#             forecast 12 500 -> +500 överskott; previous forecast 12 800 -> change −300 försämrats
#   personal: period budget −1 000, outcome −1 250 -> −250 negativ (5011 −200, 5021 −50);
#             budget −6 000, forecast −6 000 -> i nivå med budget
LEDGER = """\
år;period;version;konto;kontotext;belopp
2024;1;budget;3111;Taxor;-1000,00
2024;2;budget;3111;Taxor;-1000,00
2024;12;budget;3111;Taxor;-10000,00
2024;1;budget;5011;Löner;500,00
2024;2;budget;5011;Löner;500,00
2024;12;budget;5011;Löner;5000,00
2024;12;budget;9110;;6000,00
2024;12;prognos;3111;Taxor;-12500,00
2024;12;prognos;5011;Löner;6000,00
2024;12;prognos;9110;;6000,00
2024;12;prognos-april;3111;Taxor;-12800,00
2024;12;prognos-april;5011;Löner;6000,00
2024;12;prognos-april;9110;;6000,00
2024;1;utfall;3111;Taxor;-1100,00
2024;2;utfall;3111;Taxor;-1200,00
2024;1;utfall;5011;Löner;600,00
2024;2;utfall;5011;Löner;600,00
2024;2;utfall;5021;Semesterlön;50,00
"""


def paragraphs(tmp_path: Path, *args: str) -> dict[str, str]:
    ledger = write(tmp_path / "led.csv", LEDGER)
    config = write(tmp_path / "k.toml", KOMMUNBIDRAG)
    result = run("explain", ledger, "--config", config, "--unit", "kr", "--format", "json", "-q", *args)
    data = json.loads(result.stdout)
    assert data["table"] == "drift"
    return {p["label"]: p["text"] for p in data["paragraphs"]}


def test_every_figure_and_direction_of_a_revenue_and_a_cost_row(tmp_path: Path) -> None:
    texts = paragraphs(tmp_path, "--previous-forecast", "prognos-april")
    assert texts["Verksamhetens intäkter"] == (
        "Verksamhetens intäkter redovisas under perioden till 2 300 kr, vilket motsvarar en positiv avvikelse "
        "mot periodbudget om 300 kr. Prognosen för helåret är 12 500 kr, ett överskott mot budget om 500 kr. "
        "Jämfört med föregående prognos (12 800 kr) har prognosen försämrats med 300 kr. "
        "Störst avvikelse mot periodbudget har 3111 Taxor (+300 kr)."
    )
    assert texts["Personalkostnader"] == (
        "Personalkostnaderna redovisas under perioden till 1 250 kr, vilket motsvarar en negativ avvikelse "
        "mot periodbudget om 250 kr. Prognosen för helåret är 6 000 kr, i nivå med budget. "
        "Störst avvikelse mot periodbudget har 5011 Löner (−200 kr) och 5021 Semesterlön (−50 kr)."
    )
    # a paragraph per row of the table, subtotals and the result included, no parts of their own
    assert list(texts)[-1] == "Årets resultat"
    assert "Störst" not in texts["Årets resultat"]
    assert texts["Årets resultat"].startswith("Resultatet redovisas under perioden till 1 050 kr")


def test_top_limits_the_parts_named(tmp_path: Path) -> None:
    texts = paragraphs(tmp_path, "--top", "1")
    assert texts["Personalkostnader"].endswith("Störst avvikelse mot periodbudget har 5011 Löner (−200 kr).")
    assert "Störst" not in paragraphs(tmp_path, "--top", "0")["Personalkostnader"]


def test_the_example_gives_the_reference_reports_sentence() -> None:
    """Delårsrapporten: 'Personalkostnaderna redovisas under perioden till 70 328 tkr, vilket
    motsvarar en positiv avvikelse mot periodbudget om 5 484 tkr.'"""
    args = ("explain", EXAMPLES / "ks-2024.xlsx", "--config", EXAMPLES / "kfollow.toml")
    result = run(*args, "--exclude", "verksamhet=289", "-q")
    assert (
        "Personalkostnaderna redovisas under perioden till 70 328 tkr, vilket motsvarar en positiv avvikelse mot "
        "periodbudget om 5 484 tkr." in result.stdout
    )
    path = EXPECTED / "explain.txt"
    if os.environ.get("KFOLLOW_UPDATE_GOLDEN"):
        path.write_text(result.stdout, "utf-8")
    assert result.stdout == path.read_text("utf-8")


def test_a_column_with_no_data_is_said_nothing_of(tmp_path: Path) -> None:
    """No prognos rows: no sentence on the forecast (never 'Prognosen … är 0 kr')."""
    ledger = write(tmp_path / "led.csv", "".join(line + "\n" for line in LEDGER.splitlines() if "prognos" not in line))
    config = write(tmp_path / "k.toml", KOMMUNBIDRAG)
    result = run("explain", ledger, "--config", config, "--unit", "kr", "--format", "json", "-q")
    texts = {p["label"]: p["text"] for p in json.loads(result.stdout)["paragraphs"]}
    assert texts["Verksamhetens intäkter"] == (
        "Verksamhetens intäkter redovisas under perioden till 2 300 kr, vilket motsvarar en positiv avvikelse "
        "mot periodbudget om 300 kr. Störst avvikelse mot periodbudget har 3111 Taxor (+300 kr)."
    )
    assert "no prognos rows for 2024" in result.stderr


# Investeringar, 2024, outcome months 1–2, in kr (expenditure +; deviation = budget − forecast):
#   Mark (91): budget 0, forecast 1 000 -> 1 000 negativ; previous 1 500 -> justeras ned 500
#   Skola (93): budget 10 000, forecast 6 000 -> 4 000 positiv; previous 5 000 -> justeras upp
#     1 000; parts by projekt: 93001 Skola norr +3 500, 93002 +600, 93003 −100
INVESTMENTS_LEDGER = """\
år;period;version;konto;projekt;belopp
2024;12;budget;1121;93001;6000,00
2024;12;budget;1121;93002;3000,00
2024;12;budget;1121;93003;1000,00
2024;12;prognos;1121;91001;1000,00
2024;12;prognos;1121;93001;2500,00
2024;12;prognos;1121;93002;2400,00
2024;12;prognos;1121;93003;1100,00
2024;12;prognos-april;1121;91001;1500,00
2024;12;prognos-april;1121;93001;2000,00
2024;12;prognos-april;1121;93002;2000,00
2024;12;prognos-april;1121;93003;1000,00
2024;1;utfall;1121;91001;1000,00
2024;2;utfall;1121;93001;700,00
2024;2;utfall;5011;;10,00
"""
INVESTMENTS_CONFIG = """\
[accounts]
"91" = "Kommunbidrag"
[investments]
"Mark" = ["91"]
"Skola" = ["93"]
[names.projekt]
93001 = "Skola norr"
"""


def investment_paragraphs(tmp_path: Path, *args: str) -> dict[str, str]:
    ledger = write(tmp_path / "inv.csv", INVESTMENTS_LEDGER)
    config = write(tmp_path / "k.toml", INVESTMENTS_CONFIG)
    result = run("explain", ledger, "--config", config, "--table", "investments", "--unit", "kr", "--format", "json",
                 "-q", *args)
    data = json.loads(result.stdout)
    assert data["table"] == "investeringar"
    return {p["label"]: p["text"] for p in data["paragraphs"]}


def test_investment_paragraphs_figures_directions_and_forecast_change(tmp_path: Path) -> None:
    texts = investment_paragraphs(tmp_path, "--previous-forecast", "prognos-april")
    assert texts["Mark"] == (
        "Mark: utfallet för perioden uppgår till 1 000 kr. Prognosen för helåret uppgår till 1 000 kr, vilket "
        "motsvarar en negativ avvikelse mot budget om 1 000 kr. Jämfört med föregående prognos (1 500 kr) justeras "
        "prognosen ned med 500 kr. Störst avvikelse mot budget har 91001 (−1 000 kr)."
    )
    assert texts["Skola"] == (
        "Skola: utfallet för perioden uppgår till 700 kr. Prognosen för helåret uppgår till 6 000 kr, vilket "
        "motsvarar en positiv avvikelse mot budget om 4 000 kr. Jämfört med föregående prognos (5 000 kr) justeras "
        "prognosen upp med 1 000 kr. Störst avvikelse mot budget har 93001 Skola norr (+3 500 kr), "
        "93002 (+600 kr) och 93003 (−100 kr)."
    )
    assert list(texts) == ["Mark", "Skola", "Totala utgifter"]
    assert texts["Totala utgifter"].startswith("Totala utgifter: utfallet för perioden uppgår till 1 700 kr.")


def test_threshold_names_every_material_part_and_at_least_the_largest(tmp_path: Path) -> None:
    # --top 1 names the largest; --threshold 500 adds 93002 (+600), not 93003 (−100)
    texts = investment_paragraphs(tmp_path, "--top", "1", "--threshold", "500")
    assert texts["Skola"].endswith("har 93001 Skola norr (+3 500 kr) och 93002 (+600 kr).")
    # no part reaches 5 000 kr: the largest is still named
    texts = investment_paragraphs(tmp_path, "--top", "0", "--threshold", "5000")
    assert texts["Skola"].endswith("har 93001 Skola norr (+3 500 kr).")
    assert "Störst" not in investment_paragraphs(tmp_path, "--top", "0")["Skola"]
    # Drift: 5021 (−50 kr) is 100 % of its period budget of 0, 5011 (−200 kr) 20 % of 1 000
    texts = paragraphs(tmp_path, "--top", "0", "--threshold", "50%")
    assert texts["Personalkostnader"].endswith("Störst avvikelse mot periodbudget har 5021 Semesterlön (−50 kr).")
