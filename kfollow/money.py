"""Money rules in one place: amounts are integer öre; rounding to a unit happens once, here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast, overload

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


# --- amount text (SPEC §1): Swedish dialects, exactly --------------------------------------


LIMIT_ORE = 10**18

# At most 16 digits of kronor (|öre| < 10**18 fits int64) and 2 decimals; '.5' is 0.50.
_AMOUNT = r"^[-+]?(\d{0,16})(?:\.(\d{0,2}))?$"

# What Arrow's decimal parser also takes, so that both readers agree on a cell: '1.5e2'.
_EXPONENT = r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d{1,3}$"

def text_to_ore(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Amount text (any Swedish dialect) -> exact öre, vectorised; mask of cells that are no amount."""
    import pandas as pd  # (only here: money stays light to import)

    clean = clean_amount_text(text)
    parts = clean.str.extract(_AMOUNT)
    digits = parts[0].fillna("") + parts[1].fillna("")
    ok = (parts[0].notna() & (digits != "")).to_numpy(dtype=bool)
    whole = pd.to_numeric(parts[0].replace("", "0"), errors="coerce").fillna(0).to_numpy(dtype="int64")
    cents = parts[1].fillna("").str.ljust(2, "0")
    fraction = pd.to_numeric(cents.where(ok, "0"), errors="coerce").fillna(0).to_numpy(dtype="int64")
    negative = clean.str.startswith("-").fillna(False).to_numpy(dtype=bool)
    ore = np.where(ok, (whole * 100 + fraction) * np.where(negative, -1, 1), 0)
    scientific = clean.str.match(_EXPONENT).fillna(False).to_numpy(dtype=bool) & ~ok
    if scientific.any():  # rare: parsed through a double, exact while it has ≤ 2 decimals
        values = pd.to_numeric(clean.where(scientific, "0"), errors="coerce").to_numpy(dtype="float64")
        exp_ore, exp_bad = floats_to_ore(values)
        exp_bad |= np.abs(values) * 100 >= LIMIT_ORE
        ore = np.where(scientific & ~exp_bad, exp_ore, ore)
        ok = ok | (scientific & ~exp_bad)
    return ore, ~ok

def decimal_ore(column: Any) -> np.ndarray | None:
    """öre from a decimal128(18, 2) array (0 where empty); None if a value does not fit.

    The unscaled value of a decimal with scale 2 is the amount in öre: the low 64 bits of each
    128-bit value. Arrow does not hold a CSV cell to the declared precision, so a value whose
    high word is more than the low word's sign, or that is over the limit, does not fit.
    """
    import pyarrow as pa

    if column.offset:
        column = pa.concat_arrays([column])
    words = np.frombuffer(column.buffers()[1], dtype="<i8")[: 2 * len(column)]
    ore = words[0::2].copy()
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    if ((words[1::2] != (ore >> 63)) | (np.abs(ore) >= LIMIT_ORE))[valid].any():
        return None
    ore[~valid] = 0
    return ore

def _encoded(characters: tuple[str, ...], encoding: str) -> tuple[bytes, ...]:
    """money's separators or minus signs as the bytes of an encoding (those it has)."""
    found = []
    for character in characters:
        try:
            found.append(character.encode(encoding))
        except UnicodeEncodeError:
            pass
    return tuple(found)

def _drop_spaces_and_minus_signs(
    data: np.ndarray, offsets: np.ndarray, encoding: str = "utf-8"
) -> tuple[np.ndarray, np.ndarray]:
    """Drop space, NBSP and U+202F bytes and turn U+2212 and en dashes into '-' (as encoded)."""
    drop = np.zeros(len(data), dtype=bool)
    spaces, minuses = _encoded(THOUSANDS, encoding), _encoded(MINUS_SIGNS, encoding)
    for pattern in (*spaces, *minuses):
        width = len(pattern)
        if len(data) < width:
            continue
        hit = np.ones(len(data) - width + 1, dtype=bool)
        for i, byte in enumerate(pattern):
            hit &= data[i : len(data) - width + 1 + i] == byte
        at = np.flatnonzero(hit)
        for i in range(width):
            drop[at + i] = True
        if pattern in minuses:  # keep the first byte, as '-'
            data[at] = ord("-")
            drop[at] = False
    if not drop.any():
        return data, offsets
    removed = np.concatenate([[0], np.cumsum(drop, dtype=np.int32)])
    return data[~drop], (offsets - removed[offsets]).astype("<i4")

def plain_decimals(column: Any, encoding: str = "utf-8") -> Any | None:
    """Swedish amount text -> decimal128(18, 2), vectorised on the bytes of the block (UTF-8,
    or the single-byte encoding of a binary column).

    Spaces (as thousands separators: space, NBSP, U+202F) are dropped, U+2212 and the en dash
    become '-', a decimal comma becomes a point; then Arrow casts, exactly. None if any cell
    has more than 2 decimals or will not cast (the caller then parses the block as text and
    names the bad cells).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.offset:
        column = pa.concat_arrays([column])
    offsets = np.frombuffer(column.buffers()[1], dtype="<i4")[: len(column) + 1]
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)[: offsets[-1]]
    commas = data == ord(",")
    odd = (data == ord(" ")).any() or (data >= 0x80).any()  # a space, or a non-ASCII character
    if commas.any() or odd:
        data = data.copy()
        data[commas] = ord(".")  # a comma is a decimal mark in every dialect of SPEC §1
    if odd:
        data, offsets = _drop_spaces_and_minus_signs(data, offsets, encoding)
        if (data >= 0x80).any():  # another character: the text parser names the cell
            return None
    # Arrow would take '1,000' as 1 kr; more than 2 decimals is a bad cell (often an English
    # thousands separator), so such a block goes to the text parser, which names it. A cell
    # has at most 2 decimals when its end comes within 3 bytes after its point.
    points = np.flatnonzero(data == ord("."))
    if len(points):
        ends = np.zeros(len(data) + 4, dtype=bool)
        ends[offsets[1:]] = True
        if not (ends[points + 1] | ends[points + 2] | ends[points + 3]).all():
            return None
    text = pa.StringArray.from_buffers(
        len(column), pa.py_buffer(offsets), pa.py_buffer(data), column.buffers()[0], column.null_count
    )
    try:
        return pc.cast(text, pa.decimal128(18, 2))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
