"""The report's sentences (SPEC §10): one paragraph per row of a table, in the register of a
delårsrapport. Figures and directions only, never a cause. Every figure is a printed cell of
the table or of its drill-down (report.round_cells), so the text and the tables agree.

The wording is in TEMPLATES and SUBJECTS: a kommun that writes otherwise changes it there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .money import format_amount
from .report import Report, Row, flagged, round_cells

# The sentence patterns, one per paragraph part; "investment_…": the Investeringar table's.
# Placeholders: {subject} (SUBJECTS, else the row's label), figures in the unit as printed
# ({outcome}, {deviation}, …, always as magnitudes) and the direction words of DIRECTIONS.
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
    "investment_outcome": "{subject}: utfallet för perioden uppgår till {outcome} {unit}",
    "investment_forecast": (
        ". Prognosen för helåret uppgår till {forecast} {unit}, vilket motsvarar en {direction} avvikelse "
        "mot budget om {deviation} {unit}"
    ),
    "investment_forecast_on_budget": ". Prognosen för helåret uppgår till {forecast} {unit}, i nivå med budget",
    "investment_forecast_change": (
        ". Jämfört med föregående prognos ({previous} {unit}) justeras prognosen {direction} med {change} {unit}"
    ),
    "investment_parts": ". Störst avvikelse mot budget har {parts}",
    "part": "{name} ({sign}{deviation} {unit})",
    "end": ".",
}

# Positive first. Drift: positive = better for the result (report sign: revenue +, costs −).
# Investeringar: the deviation is budget − forecast (positive: less spent than budgeted); the
# change is forecast − previous forecast, said as up or down, not as better or worse.
DIRECTIONS = {
    "period_deviation": ("positiv", "negativ"),
    "forecast": ("ett överskott", "ett underskott"),
    "forecast_change": ("förbättrats", "försämrats"),
    "investment_forecast": ("positiv", "negativ"),
    "investment_forecast_change": ("upp", "ned"),
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

# The deviation each table's paragraphs (and the parts they name) speak of
PART_DEVIATION = {"drift": "period_deviation", "investeringar": "forecast_deviation"}


@dataclass(frozen=True)
class Paragraph:
    label: str
    text: str


def explain(report: Report, top: int | None = 3) -> list[Paragraph]:
    """A paragraph per row of `report` (the Drift table built with the period budget, or the
    Investeringar table). Its detail rows, if drilled and sorted by PART_DEVIATION, give the
    parts of each row's deviation: the `top` largest (None: all) and every one that passes the
    report's --threshold; where a threshold is given and none passes, the largest."""
    cells = round_cells(report)
    key = PART_DEVIATION.get(report.table, "period_deviation")
    found: dict[str, list[tuple[Row, int]]] = {}
    for row, values in zip(report.rows, cells, strict=True):
        # the named parts only: Övrigt (the rest, or rows without a code) names nothing
        if row.kind == "detail" and row.parent is not None and row.code is not None and values.get(key):
            found.setdefault(row.parent, []).append((row, values[key]))
    parts = {parent: _named(report, rows, key, top) for parent, rows in found.items()}
    # a column with no data (its version has no rows for the year) is said nothing of: no data
    # is not a zero
    keys = {column.key for column in report.columns} - set(report.empty)
    write = _investment_paragraph if report.table == "investeringar" else _paragraph
    return [
        Paragraph(row.label, write(row.label, values, keys, parts.get(row.label, []), report.unit))
        for row, values in zip(report.rows, cells, strict=True)
        if row.kind != "detail"
    ]


def _named(report: Report, parts: list[tuple[Row, int]], key: str, top: int | None) -> list[tuple[str, int]]:
    """Of a row's parts (largest first), the `top` largest and the material ones; where a
    threshold is given and that leaves none, the largest."""
    chosen = [
        (row.label, value)
        for at, (row, value) in enumerate(parts)
        if top is None or at < top or flagged(report, row, key)
    ]
    if not chosen and report.threshold is not None and parts:
        chosen = [(parts[0][0].label, parts[0][1])]
    return chosen


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
        text += _forecast("forecast", values, figure(values["forecast"]), unit)
    text += _change("forecast_change", values, keys, figure, unit)
    if parts and "period_deviation" in keys:
        text += TEMPLATES["parts"].format(parts=_listed(parts, unit))
    return text + TEMPLATES["end"]


def _investment_paragraph(
    label: str, values: dict[str, int], keys: set[str], parts: list[tuple[str, int]], unit: str
) -> str:
    def figure(value: int) -> str:
        return format_amount(value).replace("-", "−")

    if "outcome" in keys:
        text = TEMPLATES["investment_outcome"].format(subject=label, outcome=figure(values["outcome"]), unit=unit)
    else:
        text = TEMPLATES["no_outcome"].format(subject=label)
    if "forecast_deviation" in keys:
        text += _forecast("investment_forecast", values, figure(values["forecast"]), unit)
        text += _change("investment_forecast_change", values, keys, figure, unit)
        if parts:
            text += TEMPLATES["investment_parts"].format(parts=_listed(parts, unit))
    return text + TEMPLATES["end"]


def _forecast(kind: str, values: dict[str, int], forecast: str, unit: str) -> str:
    """The forecast for the year against the budget (the table's forecast_deviation)."""
    deviation = values["forecast_deviation"]
    if not deviation:
        return TEMPLATES[f"{kind}_on_budget"].format(forecast=forecast, unit=unit)
    positive, negative = DIRECTIONS[kind]
    return TEMPLATES[kind].format(
        forecast=forecast,
        direction=positive if deviation > 0 else negative,
        deviation=format_amount(abs(deviation)),
        unit=unit,
    )


def _change(kind: str, values: dict[str, int], keys: set[str], figure: Callable[[int], str], unit: str) -> str:
    """The forecast against --previous-forecast, where it is given and the forecast changed."""
    if "forecast_change" not in keys or not values["forecast_change"]:
        return ""
    positive, negative = DIRECTIONS[kind]
    return TEMPLATES[kind].format(
        previous=figure(values["previous_forecast"]),
        direction=positive if values["forecast_change"] > 0 else negative,
        change=format_amount(abs(values["forecast_change"])),
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
