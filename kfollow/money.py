"""Money rules in one place: amounts are integer öre; rounding to a unit happens once, here."""

from __future__ import annotations

import re
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

# At most 16 digits of kronor (|öre| < 10**18 fits int64) and 2 decimals; '.5' is 0.50. Digits
# are [0-9], never \d: Python's \d also matches '２' and '٢', which no export means as digits.
# No exponent: '1e15' and '4e-4' are no amounts a ledger writes (SPEC §1).
_AMOUNT = r"^[-+]?([0-9]{0,16})(?:\.([0-9]{0,2}))?$"

_SEPARATORS = "".join(THOUSANDS)

# Digit groups (SPEC §1): a run of thousands separators between two digits must be followed by
# exactly three digits and then a separator, the decimal mark or the cell's end, and the digits
# before the first one are 1–3. A cell that breaks this (`1 2 3`, `1234 567`, or `357 5`, the
# usual shape of an amount cut off in a last line) is bad. (No lookahead: Arrow's RE2 has none.)
_BAD_GROUP = (
    rf"[0-9]{{4}}[{_SEPARATORS}]+[0-9]"
    rf"|[0-9][{_SEPARATORS}]+(?:[0-9]{{1,2}}(?:[^0-9]|$)|[0-9]{{4}})"
)

# What is no digit 0–9 but reads as one to Unicode (fullwidth, Arabic-Indic, …), for messages.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")

# A number with an exponent, as a spreadsheet or a float formatter writes it, for messages.
_EXPONENT = re.compile(r"^[-+\u2212\u2013]?\s*(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)[eE][-+]?[0-9]+$")


def text_to_ore(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Amount text (any Swedish dialect) -> exact öre, vectorised; mask of cells that are no amount."""
    import pandas as pd  # (only here: money stays light to import)

    stripped = text.str.strip()
    grouped_badly = stripped.str.contains(_BAD_GROUP, regex=True).fillna(False).to_numpy(dtype=bool)
    clean = clean_amount_text(stripped)
    parts = clean.str.extract(_AMOUNT)
    digits = parts[0].fillna("") + parts[1].fillna("")
    ok = (parts[0].notna() & (digits != "")).to_numpy(dtype=bool) & ~grouped_badly
    whole = pd.to_numeric(parts[0].where(ok, "0").replace("", "0"), errors="coerce").fillna(0).to_numpy(dtype="int64")
    cents = parts[1].fillna("").str.ljust(2, "0")
    fraction = pd.to_numeric(cents.where(ok, "0"), errors="coerce").fillna(0).to_numpy(dtype="int64")
    negative = clean.str.startswith("-").fillna(False).to_numpy(dtype=bool)
    ore = np.where(ok, (whole * 100 + fraction) * np.where(negative, -1, 1), 0)
    return ore, ~ok


def amount_trouble(value: object) -> str:
    """Why a cell is no amount, and what to do, for the message that names it (error path only)."""
    text = str(value).strip()
    other = _OTHER_DIGIT.search(text)
    if other:
        return (
            f"digits other than 0–9 ({other.group()!r}): write the amount with the digits 0–9 "
            "(in the export, or in the sheet's number format)"
        )
    if _EXPONENT.match(text):
        return "a number with an exponent: write the amount out in digits (in a sheet: format the column as Number)"
    if re.search(_BAD_GROUP, text):
        return (
            "a digit group that is not three digits long (thousands are grouped by three): the line may be "
            "cut off, or the amount mistyped; correct it in the file"
        )
    return "not an amount in kronor (at most 16 digits and 2 decimals)"


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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop space, NBSP and U+202F bytes and turn U+2212 and en dashes into '-' (as encoded).
    Also: per byte kept, whether a run of separators came right before it in its cell."""
    drop = np.zeros(len(data), dtype=bool)
    gap = np.zeros(len(data) + 1, dtype=bool)  # (the extra slot: a separator at the very end)
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
        else:  # the byte after a separator (the last of a run marks the byte kept)
            gap[at + width] = True
    starts = offsets[:-1]
    gap[starts] = False  # a separator that ends a cell comes before no byte of the next one
    keep = ~drop[: len(data)]
    if keep.all():
        return data, offsets, gap[: len(data)]
    removed = np.concatenate([[0], np.cumsum(drop, dtype=np.int32)])
    return data[keep], (offsets - removed[offsets]).astype("<i4"), gap[: len(data)][keep]


# Per byte of amount text, for the digit-group check: bit flags, looked at 8 bytes at a time.
_DIGIT, _POINT, _GAP, _START = 1, 2, 4, 8  # _GAP: a separator run before it; _START: a cell's first
_PLAIN = _DIGIT | _GAP | _START


def _at(position: int, flags: int) -> int:
    """Flags of the byte `position` places into an 8-byte window, as bits of a uint64."""
    return flags << (8 * position)


# The window of a byte c that has a separator run before it: bytes c-4 … c+3 at 0 … 7. Byte c
# is a digit after a gap, in the cell of a digit before it: a separator between digits.
_BETWEEN_MASK = _at(4, _PLAIN) | _at(3, _DIGIT)
_BETWEEN = _at(4, _GAP | _DIGIT) | _at(3, _DIGIT)
# Then c+1 and c+2 are digits of the group, and c+3 is a separator, the decimal mark or the end.
_THREE_MASK, _THREE = _at(5, _PLAIN) | _at(6, _PLAIN), _at(5, _DIGIT) | _at(6, _DIGIT)
_AFTER = _at(7, _GAP | _POINT | _START)
# Four digits right before c, with no gap or cell start among them: a first group too long.
_FOUR_MASK = _at(0, _DIGIT) | _at(1, _PLAIN) | _at(2, _PLAIN) | _at(3, _PLAIN)
_FOUR = _at(0, _DIGIT) | _at(1, _DIGIT) | _at(2, _DIGIT) | _at(3, _DIGIT)


def _groups_of_three(data: np.ndarray, offsets: np.ndarray, gap: np.ndarray) -> bool:
    """Whether every digit group in the block is as SPEC §1 has it (the rule of _BAD_GROUP),
    vectorised: `data` the cells' bytes with separators dropped, `gap` where a separator run was."""
    candidates = np.flatnonzero(gap)
    if not len(candidates):
        return True
    size = len(data)
    # Flags at [4 + i] for byte i; 4 empty bytes before and 4 after, the first a cell's start
    # (the block's end), so that each window of 8 is in bounds.
    flags = np.zeros(size + 8, dtype=np.uint8)
    body = flags[4 : 4 + size]
    body[:] = (data - np.uint8(ord("0"))) < 10
    body |= (data == ord(".")).view(np.uint8) << 1
    body |= gap.view(np.uint8) << 2
    flags[4 + offsets] |= _START
    windows = np.ndarray((size + 1,), dtype="<u8", buffer=flags, strides=(1,))[candidates]
    between = (windows & np.uint64(_BETWEEN_MASK)) == np.uint64(_BETWEEN)
    three = ((windows & np.uint64(_THREE_MASK)) == np.uint64(_THREE)) & ((windows & np.uint64(_AFTER)) != 0)
    four = (windows & np.uint64(_FOUR_MASK)) == np.uint64(_FOUR)
    return not (between & (~three | four)).any()


def _at_most_two_decimals(data: np.ndarray, offsets: np.ndarray) -> bool:
    """Whether each cell's end comes within 3 bytes after its point. (Arrow would take '1,000'
    as 1 kr; more than 2 decimals is a bad cell, often an English thousands separator, so
    such a block goes to the text parser, which names it.)"""
    points = np.flatnonzero(data == ord("."))
    if not len(points):
        return True
    ends = np.zeros(len(data) + 4, dtype=bool)
    ends[offsets[1:]] = True
    return bool((ends[points + 1] | ends[points + 2] | ends[points + 3]).all())


def plain_decimals(column: Any, encoding: str = "utf-8") -> Any | None:
    """Swedish amount text -> decimal128(18, 2), vectorised on the bytes of the block (UTF-8,
    or the single-byte encoding of a binary column).

    Spaces (as thousands separators: space, NBSP, U+202F) are dropped, U+2212 and the en dash
    become '-', a decimal comma becomes a point; then Arrow casts, exactly. None if any cell
    is not plain: more than 2 decimals, digit groups not of three, a byte other than digits,
    sign and point (an exponent, which Arrow's cast would take; digits other than 0–9), or a
    cell that will not cast (the caller then parses the block as text and names the bad cells).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.offset:
        column = pa.concat_arrays([column])
    offsets = np.frombuffer(column.buffers()[1], dtype="<i4")[: len(column) + 1]
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)[: offsets[-1]]
    commas = data == ord(",")
    odd = len(data) and (data.max() >= 0x80 or (data == ord(" ")).any())  # a space, or a non-ASCII character
    if commas.any() or odd:
        data = data.copy()
        data[commas] = ord(".")  # a comma is a decimal mark in every dialect of SPEC §1
    if odd:
        data, offsets, gap = _drop_spaces_and_minus_signs(data, offsets, encoding)
        if not _groups_of_three(data, offsets, gap):
            return None
    # Past '9' is no byte of a plain decimal: a letter (an exponent: '1e15', which Arrow takes),
    # or another character (digits other than 0–9 are bytes from 0x80 on).
    if len(data) and data.max() > ord("9"):
        return None
    if not _at_most_two_decimals(data, offsets):
        return None
    text = pa.StringArray.from_buffers(
        len(column), pa.py_buffer(offsets), pa.py_buffer(data), column.buffers()[0], column.null_count
    )
    try:
        return pc.cast(text, pa.decimal128(18, 2))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
