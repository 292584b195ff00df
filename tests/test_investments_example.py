"""The example ledger's investment rows reproduce the reference report's Investeringar table.

The table is computed here from the ledger frame with pandas, independently of kfollow's own
investments code: the rows on the accounts of [investments.options] (class 1), sorted into
categories by their projekt prefixes from examples/kfollow.toml, exact öre summed per cell
(a parent and the total from their leaves' öre, not from rounded figures), then each cell
rounded once, half away from zero, to tkr. Expenditure is positive, as in the ledger.
"""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, EXAMPLES

from kfollow.read import ReadOptions, Source, load_ledger

SEED = json.loads((DATA / "seed-tables.json").read_text("utf-8"))
COLUMNS = SEED["columns"]
TARGET = {label: cell for label, cell in SEED["investeringar"].items() if not label.startswith("_")}
SECTION = tomllib.loads((EXAMPLES / "kfollow.toml").read_text("utf-8"))["investments"]
ACCOUNTS = tuple(SECTION.get("options", {}).get("accounts", ["1"]))
CATEGORIES = {path: tuple(prefixes) for path, prefixes in SECTION.items() if path != "options"}
TOTAL = "Totala utgifter"
UNIT = 100_000  # öre per tkr

# The one printed figure no ledger can give (the seed's "_note"). Expansionsinvestering prints
# outcome 10 413 and outcome 2023 16 344, so its exact change is in (-5 932; -5 930) tkr, and
# as it prints -5 930, in (-5 930,5; -5 930). Markinköp's change prints -8 699: in
# (-8 699,5; -8 698,5]. Expansionsinvestering - Exploatering = Expansionsinvestering less
# Markinköp, so its exact change is in (2 768; 2 769,5) and rounds to 2 769, never to the
# printed 2 770. The example ledger makes it 2 769; every other cell is as printed.
NOT_AS_PRINTED = {("Expansionsinvestering - Exploatering", "outcome_change"): (2770, 2769)}


def tkr(ore: int) -> int:
    """Round öre to tkr once, half away from zero (as Excel's ROUND)."""
    magnitude = (abs(ore) + UNIT // 2) // UNIT
    return -magnitude if ore < 0 else magnitude


@pytest.fixture(scope="module")
def investment_rows() -> pd.DataFrame:
    """The CSV example's rows on investment accounts, with their category (leaf path)."""
    ledger = load_ledger([Source(EXAMPLES / "ks-2024.csv")], ReadOptions()).frame
    rows = ledger[ledger["account"].astype(str).str.startswith(ACCOUNTS).to_numpy()].copy()
    projekt = rows["projekt"].astype(str)
    matches = pd.DataFrame(
        {path: projekt.str.startswith(prefixes) if prefixes else False for path, prefixes in CATEGORIES.items()}
    )
    rows["matches"] = matches.sum(axis=1).to_numpy()
    rows["category"] = matches.idxmax(axis=1).where(rows["matches"] == 1)
    return rows


def test_every_investment_row_is_in_exactly_one_category(investment_rows: pd.DataFrame) -> None:
    assert len(investment_rows) > 100
    wrong = investment_rows.loc[investment_rows["matches"] != 1, ["account", "projekt", "matches"]]
    assert wrong.empty, wrong.drop_duplicates().to_string()
    # Several projects per category (Imageinvestering has none this year), on several accounts.
    projects = investment_rows.groupby("category")["projekt"].nunique()
    assert (projects >= 2).all() and set(projects.index) == {p for p, x in CATEGORIES.items() if x}
    assert investment_rows["account"].nunique() >= 3


def table(rows: pd.DataFrame) -> list[tuple[str, int, dict[str, int]]]:
    """[(label, level, {column: tkr})] in table order: parents before their children, config
    order, then the total (level -1)."""
    year = int(rows.loc[rows["version"] == "utfall", "year"].max())
    through = int(rows.loc[(rows["version"] == "utfall") & (rows["year"] == year), "period"].max())
    assert (year, through) == (2024, 8)
    version, y, period = rows["version"].astype(str), rows["year"], rows["period"]
    quantity = np.select(
        [
            (version == "budget") & (y == year),
            (version == "prognos") & (y == year),
            (version == "utfall") & (y == year) & (period <= through),
            (version == "utfall") & (y == year - 1) & (period <= through),
        ],
        ["B", "F", "O", "P"],
        default="",
    )
    ore = rows.assign(q=quantity).groupby(["category", "q"])["amount"].sum()  # int64: exact öre
    ore = {key: int(value) for key, value in ore.items()}

    order: list[str] = []
    for path in CATEGORIES:
        parts = path.split("/")
        order += [p for p in ("/".join(parts[:i]) for i in range(1, len(parts) + 1)) if p not in order]
    out = []
    for path, level in [(p, p.count("/")) for p in order] + [("", -1)]:
        leaves = [c for c in CATEGORIES if not path or c == path or c.startswith(path + "/")]
        b, f, o, p = (sum(ore.get((c, q), 0) for c in leaves) for q in "BFOP")
        exact = {
            "budget": b,
            "forecast": f,
            "forecast_deviation": b - f,
            "outcome": o,
            "outcome_previous": p,
            "outcome_change": o - p,
        }
        out.append((path.rsplit("/", 1)[-1] if path else TOTAL, level, {k: tkr(v) for k, v in exact.items()}))
    return out


def test_investeringar_is_the_reference_table(investment_rows: pd.DataFrame) -> None:
    got = table(investment_rows)
    assert [(label, level) for label, level, _ in got] == [(label, level) for label, (level, _) in TARGET.items()]
    for label, _, values in got:
        for column, printed in zip(COLUMNS, TARGET[label][1], strict=True):
            # One cell differs from the print, on purpose: see NOT_AS_PRINTED (2 769, not 2 770).
            expected = NOT_AS_PRINTED.get((label, column), (printed, printed))[1]
            assert values[column] == expected, (label, column, values[column], printed)
    exploatering = next(v for label, _, v in got if label == "Expansionsinvestering - Exploatering")
    assert exploatering["outcome_change"] == 2769  # printed 2 770: no exact amounts give that


def test_investment_rows_are_expenditure(investment_rows: pd.DataFrame) -> None:
    """Class 1 only (excluded from the Drift table by the built-in map), every amount a debit."""
    assert set(investment_rows["account"].astype(str).str[0]) == {"1"}
    assert (investment_rows["amount"] > 0).all()
