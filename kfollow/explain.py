"""The report's sentences (SPEC §10): one paragraph per row of a table, in the register of a
delårsrapport. Figures and directions only, never a cause. Every figure is a printed cell of
the table or of its drill-down (report.round_cells), so the text and the tables agree.

The wording is in TEMPLATES and SUBJECTS: a kommun that writes otherwise changes it there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .money import format_amount
from .report import Report, round_cells

# The sentence patterns, one per paragraph part. Placeholders: {subject} (SUBJECTS), figures
# in the unit as printed ({outcome}, {deviation}, …, always as magnitudes) and the direction
# words of DIRECTIONS.
TEMPLATES = {
    "outcome": "{subject} redovisas under perioden till {outcome} {unit}",
    "no_outcome": "{subject}: inget utfall för perioden",
    "period_deviation": ", vilket motsvarar en {direction} avvikelse mot periodbudget om {deviation} {unit}",
    "no_period_deviation": ", i nivå med periodbudget",
    "forecast": ". Prognosen för helåret är {forecast} {unit}, {direction} mot budget om {deviation} {unit}",
    "forecast_on_budget": ". Prognosen för helåret är {forecast} {unit}, i nivå med budget",
    "forecast_change": (
        ". Jämfört med föregående prognos ({previous} {unit}) har prognosen {direction} med {change} {unit}"
    ),
    "parts": ". Störst avvikelse mot periodbudget har {parts}",
    "part": "{name} ({sign}{deviation} {unit})",
    "end": ".",
}

# Positive = better for the result (report sign: revenue +, costs −).
DIRECTIONS = {
    "period_deviation": ("positiv", "negativ"),
    "forecast": ("ett överskott", "ett underskott"),
    "forecast_change": ("förbättrats", "försämrats"),
}

# Each row's subject in the sentence (definite form, as the report writes it).
SUBJECTS = {
    "Verksamhetens intäkter": "Verksamhetens intäkter",
    "Personalkostnader": "Personalkostnaderna",
    "Lokalhyror": "Lokalhyrorna",
    "Köp av tjänster": "Köp av tjänster",
    "Övriga kostnader": "Övriga kostnader",
    "Verksamhetens kostnader": "Verksamhetens kostnader",
    "Verksamhetens nettokostnader": "Verksamhetens nettokostnader",
    "Kommunbidrag": "Kommunbidraget",
    "Finansnetto": "Finansnettot",
    "Årets resultat": "Resultatet",
}


# Rows the report prints negative (costs) but the text names by their size: "Personalkostnaderna
# redovisas till 70 328 tkr". Other rows keep their sign (a result of −2 710 tkr is a deficit).
AS_MAGNITUDE = {
    "Personalkostnader",
    "Lokalhyror",
    "Köp av tjänster",
    "Övriga kostnader",
    "Verksamhetens kostnader",
    "Verksamhetens nettokostnader",
}


@dataclass(frozen=True)
class Paragraph:
    label: str
    text: str


def explain(report: Report) -> list[Paragraph]:
    """A paragraph per row of `report` (built with the period budget; its detail rows, if
    drilled, give the largest parts of each row's deviation)."""
    cells = round_cells(report)
    parts: dict[str, list[tuple[str, int]]] = {}
    for row, values in zip(report.rows, cells, strict=True):
        # the named parts only: Övrigt (the rest, or rows without a code) names nothing
        if row.kind == "detail" and row.parent is not None and row.code is not None and "period_deviation" in values:
            parts.setdefault(row.parent, []).append((row.label, values["period_deviation"]))
    # a column with no data (its version has no rows for the year) is said nothing of: no data
    # is not a zero
    keys = {column.key for column in report.columns} - set(report.empty)
    return [
        Paragraph(row.label, _paragraph(row.label, values, keys, parts.get(row.label, []), report.unit))
        for row, values in zip(report.rows, cells, strict=True)
        if row.kind != "detail"
    ]


def _paragraph(label: str, values: dict[str, int], keys: set[str], parts: list[tuple[str, int]], unit: str) -> str:
    def figure(value: int) -> str:
        return format_amount(abs(value) if label in AS_MAGNITUDE else value).replace("-", "−")

    subject = SUBJECTS.get(label, label)
    if "outcome" not in keys:
        return TEMPLATES["no_outcome"].format(subject=subject) + TEMPLATES["end"]
    text = TEMPLATES["outcome"].format(subject=subject, outcome=figure(values["outcome"]), unit=unit)
    if "period_deviation" in keys:
        text += _directed("period_deviation", values["period_deviation"], unit, "no_period_deviation")
    if "forecast_deviation" in keys:
        text += _forecast(values, figure(values["forecast"]), unit)
    if "forecast_change" in keys and values["forecast_change"]:
        positive, negative = DIRECTIONS["forecast_change"]
        text += TEMPLATES["forecast_change"].format(
            previous=figure(values["previous_forecast"]),
            direction=positive if values["forecast_change"] > 0 else negative,
            change=format_amount(abs(values["forecast_change"])),
            unit=unit,
        )
    named = [(name, value) for name, value in parts if value] if "period_deviation" in keys else []
    if named:
        text += TEMPLATES["parts"].format(parts=_listed(named, unit))
    return text + TEMPLATES["end"]


def _forecast(values: dict[str, int], forecast: str, unit: str) -> str:
    """The forecast for the year against the budget (forecast − budget, as the table prints it)."""
    deviation = values["forecast_deviation"]
    if not deviation:
        return TEMPLATES["forecast_on_budget"].format(forecast=forecast, unit=unit)
    positive, negative = DIRECTIONS["forecast"]
    return TEMPLATES["forecast"].format(
        forecast=forecast,
        direction=positive if deviation > 0 else negative,
        deviation=format_amount(abs(deviation)),
        unit=unit,
    )


def _listed(named: list[tuple[str, int]], unit: str) -> str:
    """'A (+1 tkr), B (−2 tkr) och C (+3 tkr)'."""
    listed = [
        TEMPLATES["part"].format(
            name=name, sign="+" if value > 0 else "−", deviation=format_amount(abs(value)), unit=unit
        )
        for name, value in named
    ]
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " och " + listed[-1]


def _directed(kind: str, value: int, unit: str, level: str) -> str:
    if not value:
        return TEMPLATES[level]
    positive, negative = DIRECTIONS[kind]
    return TEMPLATES[kind].format(
        direction=positive if value > 0 else negative, deviation=format_amount(abs(value)), unit=unit
    )


def render(paragraphs: list[Paragraph], fmt: str, table: str) -> str:
    """text: the row as a heading line, its paragraph below; markdown: the row in bold; json:
    {"table", "paragraphs": [{"label", "text"}]}."""
    if fmt == "json":
        body = {"table": table, "paragraphs": [{"label": p.label, "text": p.text} for p in paragraphs]}
        return json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    heading = "**{}**" if fmt == "markdown" else "{}"
    return "\n".join(f"{heading.format(p.label)}\n{p.text}\n" for p in paragraphs)
