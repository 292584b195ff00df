"""Money rules in one place: amounts are integer öre; rounding to a unit happens once, here."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast, overload

import numpy as np

from .errors import LoadError

if TYPE_CHECKING:
    import pandas as pd

# öre per unit
UNITS: dict[str, int] = {"kr": 100, "tkr": 100_000, "mkr": 100_000_000}

# Amounts are parsed through a double and then scaled to öre. A double holds every öre value
# exactly up to 2**53 öre; below LIMIT_KR the error of `x * 100` stays under 0.04 öre, so
# rounding it recovers the exact öre count of a decimal with two places, and a third decimal
# (which moves the value by at least 0.1 öre) is still seen.
LIMIT_KR = 1e12
_NOISE = 0.05

# Characters that separate thousands in Swedish exports, and the minus signs they use.
THOUSANDS = (" ", "\u00a0", "\u202f")
MINUS_SIGNS = ("\u2212", "\u2013")  # minus sign, en dash


@overload
def round_to_unit(ore: int, unit: str) -> int: ...
@overload
def round_to_unit(ore: np.ndarray, unit: str) -> np.ndarray: ...
def round_to_unit(ore: int | np.ndarray, unit: str) -> int | np.ndarray:
    """Round öre to the unit, half away from zero (as Excel's ROUND), in integer arithmetic."""
    step = UNITS[unit]
    if isinstance(ore, np.ndarray):
        rounded: np.ndarray = np.sign(ore) * ((abs(ore) + step // 2) // step)
        return rounded
    magnitude = (abs(ore) + step // 2) // step
    return -magnitude if ore < 0 else magnitude


def floats_to_ore(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kronor as doubles -> (öre as int64, mask of values that are not kronor with ≤ 2 decimals).

    NaN (an empty cell) is flagged too; the caller decides what an empty cell means.
    """
    values = np.asarray(values, dtype="float64")
    with np.errstate(invalid="ignore"):
        scaled = values * 100.0
        ore = np.rint(scaled)
        bad = ~np.isfinite(values) | (np.abs(values) >= LIMIT_KR) | (np.abs(scaled - ore) > _NOISE)
    return np.where(bad, 0, ore).astype("int64"), bad


def clean_amount_text(text: pd.Series) -> pd.Series:
    """Swedish amount text -> plain '-1234.50' text, vectorised.

    Removes thousands separators (space, NBSP, U+202F), reads U+2212 and the en dash
    (with or without a following space) as minus, and turns a decimal comma into a point
    (a comma is never a thousands separator in the dialects kfollow reads).
    """
    out = text.str.strip()
    for sep in THOUSANDS:
        out = out.str.replace(sep, "", regex=False)
    for minus in MINUS_SIGNS:
        out = out.str.replace(minus, "-", regex=False)
    out = out.str.replace(",", ".", regex=False)
    return out


def format_amount(value: int) -> str:
    """An integer in Swedish digit grouping, as the report prints it: -114 196."""
    return f"{value:,}".replace(",", " ")


def format_kr(ore: int) -> str:
    """Öre as kronor and öre, Swedish style: -1 234,56 kr."""
    whole, rest = divmod(abs(int(ore)), 100)
    return f"{'-' if ore < 0 else ''}{format_amount(whole)},{rest:02d} kr"


def kr(ore: int) -> float:
    """Öre -> kronor for JSON figures: int / 100 prints as the two-decimal number it is."""
    return int(ore) / 100


# --- exact sums ---------------------------------------------------------------------------------

TOO_LARGE = "a total of the ledger is beyond ±4.6·10^16 kr: kfollow cannot hold it exactly"


def exact_group_sums(
    key: np.ndarray, amount: np.ndarray, groups: int, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(row count, exact int64 sum of öre) per key 0..groups-1.

    np.bincount is fast but sums in float64, which adds integers exactly while every partial
    sum stays below 2**53 öre. That holds when Σ|amount| does; else each amount is split into
    a low 20-bit part and the rest, whose sums stay below 2**53 while rows × max|rest| does;
    else 32-bit halves are summed in int64 and joined per group in Python integers.
    """
    # Row counts; `rows`: how many ledger rows each entry stands for (a collapsed read).
    if rows is None:
        counts = np.bincount(key, minlength=groups)
    else:
        counts = np.rint(np.bincount(key, weights=rows, minlength=groups)).astype("int64")
    if not len(amount):
        return counts, np.zeros(groups, dtype="int64")
    # Σ|amount| in float64 (an int64 sum could wrap); with a margin of 2× its rounding cannot
    # hide a sum that reaches 2**53.
    if float(np.abs(amount).sum(dtype="float64")) < 2**52:  # one float64 pass is exact
        return counts, np.rint(np.bincount(key, weights=amount, minlength=groups)).astype("int64")
    high = amount >> 20
    if len(amount) * max(int(np.abs(high).max()), 1) < 2**53:
        highs = np.bincount(key, weights=high, minlength=groups).astype("int64")
        if np.abs(highs).max() >= 2**42:  # the total would not fit int64
            raise LoadError(TOO_LARGE)
        sums = np.bincount(key, weights=amount & 0xFFFFF, minlength=groups).astype("int64")
        return counts, sums + (highs << 20)
    # Huge amounts: sum 32-bit halves in int64 (neither can wrap), join them per group.
    import pandas as pd  # (only here: money stays light to import)

    lows = pd.Series(amount & 0xFFFFFFFF).groupby(key).sum()
    high_sums = pd.Series(amount >> 32).groupby(key).sum()
    sums = np.zeros(groups, dtype="int64")
    for label, low in lows.items():
        group = cast(int, label)  # a key 0..groups-1 (pandas-stubs type index labels as Hashable)
        total = int(high_sums[group]) * 2**32 + int(low)
        if abs(total) >= 2**63:
            raise LoadError(TOO_LARGE)
        sums[int(group)] = total
    return counts, sums
