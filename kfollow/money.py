"""Money rules in one place: amounts are integer öre; rounding to a unit happens once, here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
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

_SEPARATORS = "".join(THOUSANDS)

# An amount cell (SPEC §1), after its padding is stripped: a sign (an en dash may have one
# space after it), kronor in digits 0–9, either ungrouped or grouped by three with one
# thousands separator between groups (the first group 1–3 digits), then a decimal comma or
# point with 1 or 2 decimals. Digits are [0-9], never \d: Python's \d also matches '２' and
# '٢', which no export means as digits. No exponent ('1e15', '4e-4'); no separator anywhere
# else ('1 2 3', '1234 567', '7\u00a0 966'; '357 5' and '523 077,' are the usual shapes of an
# amount cut off in a last line). (No lookahead: Arrow's RE2 has none.)
_AMOUNT = rf"^(?:[-+\u2212]|\u2013 ?)?(?:[0-9]{{1,3}}(?:[{_SEPARATORS}][0-9]{{3}})+|[0-9]+)(?:[,.][0-9]{{1,2}})?$"

# The parts of a cell _AMOUNT took, once its separators are gone and its minus is '-'.
_PARTS = r"^[-+]?([0-9]+)(?:\.([0-9]+))?$"

# For the messages (error path only): what is no digit 0–9 but reads as one to Unicode
# (fullwidth, Arabic-Indic, …); a number with an exponent; separators where digit groups of
# three have none; a decimal mark with no decimals after it.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
_EXPONENT = re.compile(r"^[-+\u2212\u2013]?\s*(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)[eE][-+]?[0-9]+$")
_BAD_GROUP = re.compile(
    rf"[0-9]{{4}}[{_SEPARATORS}][0-9]|[0-9][{_SEPARATORS}](?:[0-9]{{1,2}}(?![0-9])|[0-9]{{4}})"
    rf"|[0-9][{_SEPARATORS}]{{2,}}[0-9]"
)
_NO_DECIMALS = re.compile(r"[0-9][,.]$")
_SPACED_SIGN = re.compile(rf"^[-+\u2212][{_SEPARATORS}]+[0-9]")


def text_to_ore(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Amount text (any Swedish dialect) -> exact öre, vectorised; mask of cells that are no amount."""
    import pandas as pd  # (only here: money stays light to import)

    stripped = text.str.strip()
    ok = stripped.str.match(_AMOUNT).fillna(False).to_numpy(dtype=bool, copy=True)
    clean = clean_amount_text(stripped.where(ok, "0"))
    parts = clean.str.extract(_PARTS)
    ok &= (parts[0].fillna("").str.len() <= 16).to_numpy(dtype=bool)  # |öre| < 10**18 fits int64
    whole = pd.to_numeric(parts[0].where(ok, "0"), errors="coerce").fillna(0).to_numpy(dtype="int64")
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
    if _BAD_GROUP.search(text):
        return (
            "a digit group that is not three digits long, or two separators between groups (thousands are "
            "grouped by three): the line may be cut off, or the amount mistyped; correct it in the file"
        )
    if _NO_DECIMALS.search(text):
        return "a decimal mark with no decimals after it: the line may be cut off; correct it in the file"
    if _SPACED_SIGN.match(text):
        return "a space after the sign: only an en dash (–) may have one; correct it in the file"
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


def _found(data: np.ndarray, pattern: bytes) -> np.ndarray:
    """Where the bytes of `pattern` start in `data` (sorted). A pattern of several bytes (UTF-8
    NBSP, U+202F, U+2212, en dash) is looked for by its first byte, rare in amount text, and
    checked on the bytes after it there only."""
    if len(pattern) == 1:
        return np.flatnonzero(data == pattern[0])
    at = np.flatnonzero(data[: len(data) - len(pattern) + 1] == pattern[0])
    for i, byte in enumerate(pattern[1:], start=1):
        at = at[data[at + i] == byte]
    return at


@dataclass
class _Dropped:
    """Amount bytes with the separators dropped and every minus sign '-', and where they were."""

    padded: np.ndarray  # the bytes kept, with 4 zero bytes before and after them
    offsets: np.ndarray  # the cells' offsets into them
    gaps: np.ndarray  # per run of separators within a cell: the position of the byte after it
    single: np.ndarray | None  # per run: one separator, not several (None: so is every run)
    space: np.ndarray  # per run: ends with an ASCII space
    dashes: np.ndarray  # where an en dash became '-'

    @property
    def data(self) -> np.ndarray:
        return self.padded[4:-4]


def _separators(data: np.ndarray, drop: np.ndarray, encoding: str) -> tuple[np.ndarray, np.ndarray]:
    """Mark the bytes of each separator (space, NBSP, U+202F) in `drop`; (where each separator
    ends, in order; whether it is an ASCII space)."""
    ends, is_space = [], []
    for pattern in _encoded(THOUSANDS, encoding):
        if len(pattern) == 1:
            hit = data == pattern[0]
            drop |= hit
            at = np.flatnonzero(hit)
        else:
            at = _found(data, pattern)
            for i in range(len(pattern)):
                drop[at + i] = True
        ends.append(at + len(pattern))
        is_space.append(np.full(len(at), pattern == b" "))
    if sum(len(e) > 0 for e in ends) > 1:
        order = np.argsort(np.concatenate(ends), kind="stable")
        return np.concatenate(ends)[order], np.concatenate(is_space)[order]
    return max(zip(ends, is_space, strict=True), key=lambda pair: len(pair[0]))


def _drop_spaces_and_minus_signs(data: np.ndarray, offsets: np.ndarray, encoding: str = "utf-8") -> _Dropped:
    """Drop space, NBSP and U+202F bytes and turn U+2212 and en dashes into '-' (as encoded;
    `data` is changed in place)."""
    size = len(data)
    drop = np.zeros(size, dtype=bool)
    after, spaced = _separators(data, drop, encoding)
    dashes = np.zeros(0, dtype=np.intp)
    for pattern in _encoded(MINUS_SIGNS, encoding):  # keep the first byte, as '-'
        at = _found(data, pattern)
        data[at] = ord("-")
        for i in range(1, len(pattern)):
            drop[at + i] = True
        if pattern == "\u2013".encode(encoding):
            dashes = at
    # removed[i]: the bytes dropped before byte i
    removed = np.zeros(size + 1, dtype=np.int32)
    np.cumsum(drop.view(np.uint8), dtype=np.int32, out=removed[1:])
    kept = size - int(removed[-1])
    padded = np.zeros(kept + 8, dtype=np.uint8)
    np.compress(~drop, data, out=padded[4 : 4 + kept])
    # Each separator as the position of the byte kept after it: separators next to each other
    # (a run) share it.
    after = after - removed[after]
    offsets = (offsets - removed[offsets.astype(np.intp)]).astype("<i4")
    dashes = dashes - removed[dashes]
    runs = after[1:] == after[:-1]  # a separator right after another
    if not runs.any():
        return _Dropped(padded, offsets, after, None, spaced, dashes)
    last = np.ones(len(after), dtype=bool)
    last[:-1] = ~runs
    first = np.ones(len(after), dtype=bool)
    first[1:] = ~runs
    return _Dropped(padded, offsets, after[last], (first & last)[last], spaced[last], dashes)


def _bytes_at(positions: Iterable[int], value: int = 0x80) -> np.uint64:
    """`value` in each of the bytes at `positions` of an 8-byte window, as a uint64."""
    return np.uint64(sum(value << (8 * position) for position in positions))


_SEVEN_BITS, _TOP_BITS, _DIGIT_CARRY = _bytes_at(range(8), 0x7F), _bytes_at(range(8)), _bytes_at(range(8), 0x50)
_BETWEEN, _AT_C, _BEFORE_C = _bytes_at((3, 4)), _bytes_at((4,)), _bytes_at((3,))
_THREE, _AFTER_THREE = _bytes_at((5, 6)), _bytes_at((7,))
_FOUR, _INSIDE_FOUR = _bytes_at((0, 1, 2, 3)), _bytes_at((1, 2, 3))


def _separators_in_place(dropped: _Dropped) -> bool:
    """Whether every separator the block had is where _AMOUNT allows one, vectorised over the
    runs of them: padding at a cell's start or end; one between digit groups of three; one
    space after a leading en dash. (The bytes are digits, signs and points only.)

    For each run, with c the position of the byte after it, the 8 bytes c-4 … c+3 are read as
    one uint64, each byte's top bit set where a cell starts (the bytes themselves are below
    0x80): a digit is a byte whose low seven bits plus 0x50 reach 0x80. The runs next to c
    come from its neighbours in `gaps`.
    """
    gaps, padded = dropped.gaps, dropped.padded
    if not len(gaps):
        return True
    starts = dropped.offsets.astype(np.intp) + 4
    first = padded[starts]
    padded[starts] = first | 0x80
    try:
        windows = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))[gaps]
    finally:
        padded[starts] = first  # (these bytes go on to Arrow's cast)
    start = windows & _TOP_BITS
    digit = ((windows & _SEVEN_BITS) + _DIGIT_CARRY) & _TOP_BITS
    far = np.iinfo(np.int64).max
    step = np.diff(gaps)
    to_next = np.concatenate([step, [far]])
    from_previous = np.concatenate([[far], step])
    # Padding: c starts a cell (the run began it, or ended the one before).
    padding = (start & _AT_C) != 0
    # Between digits: then c+1 and c+2 digits of its cell with no separator before them, and
    # c+3 a separator, the decimal mark or the cell's end; and no first group of 4 digits or
    # more (c-4 … c-1 digits of its cell, no separator between).
    between = (digit & _BETWEEN) == _BETWEEN
    ended = ((start & _AFTER_THREE) != 0) | ((windows >> np.uint64(56)) == ord(".")) | (to_next == 3)
    three = ((digit & _THREE) == _THREE) & ((start & _THREE) == 0) & (to_next >= 3) & ended
    four = ((digit & _FOUR) == _FOUR) & ((start & _INSIDE_FOUR) == 0) & (from_previous >= 4)
    grouped = between & three & ~four
    if dropped.single is not None:
        grouped &= dropped.single
    odd = np.flatnonzero(~(padding | grouped))
    if not len(odd):
        return True
    # Else only one space after an en dash that starts its cell ('– 1 234').
    after_dash = dropped.space[odd] & ((start[odd] & _BEFORE_C) != 0)
    if dropped.single is not None:
        after_dash &= dropped.single[odd]
    return bool((after_dash & np.isin(gaps[odd] - 1, dropped.dashes)).all())


def _decimals_in_place(data: np.ndarray, offsets: np.ndarray) -> bool:
    """Whether each point (a decimal mark) has a digit before it and 1 or 2 after it, then its
    cell's end. (Arrow would take '1,000' as 1 kr, and '5,' or ',5'; more than 2 decimals is a
    bad cell, often an English thousands separator, so such a block goes to the text parser,
    which names it.) The bytes are below ':' (plain_decimals): a byte from '0' on is a digit,
    and Arrow's cast refuses anything but digits after a point."""
    points = np.flatnonzero(data == ord("."))
    if not len(points):
        return True
    bounds = np.zeros(len(data) + 4, dtype=bool)
    bounds[offsets.astype(np.intp)] = True  # (numpy indexes by intp: int32 indices cost a conversion each)
    inside = ~bounds[points] & ~bounds[points + 1] & (bounds[points + 2] | bounds[points + 3])
    return bool((inside & (data[points - 1] >= ord("0"))).all())  # (points[0] - 1 may be -1: bounds[0] is set)


def plain_decimals(column: Any, encoding: str = "utf-8") -> Any | None:
    """Swedish amount text -> decimal128(18, 2), vectorised on the bytes of the block (UTF-8,
    or the single-byte encoding of a binary column).

    Spaces (as thousands separators: space, NBSP, U+202F) are dropped, U+2212 and the en dash
    become '-', a decimal comma becomes a point; then Arrow casts, exactly. None if any cell
    is not as _AMOUNT has it where Arrow's cast would take it: a separator out of place, a
    byte other than digits, sign and point (an exponent; digits other than 0–9), a point
    without a digit on each side, more than 2 decimals; or a cell that will not cast. (The
    caller then parses the block as text and names the bad cells.)
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
        # A comma is a decimal mark in every dialect of SPEC §1: ',' + 2 is '.'. (In one pass
        # that also copies: a copy and a masked assignment take several times as long.)
        data = data + (commas.view(np.uint8) << 1)
    # Past '9' is no byte of a plain decimal: a letter (an exponent: '1e15', which Arrow takes),
    # or another character (digits other than 0–9 are bytes from 0x80 on).
    if odd:
        dropped = _drop_spaces_and_minus_signs(data, offsets, encoding)
        data, offsets = dropped.data, dropped.offsets
        if (len(data) and data.max() > ord("9")) or not _separators_in_place(dropped):
            return None
    elif len(data) and data.max() > ord("9"):
        return None
    if not _decimals_in_place(data, offsets):
        return None
    text = pa.StringArray.from_buffers(
        len(column), pa.py_buffer(offsets), pa.py_buffer(data), column.buffers()[0], column.null_count
    )
    try:
        return pc.cast(text, pa.decimal128(18, 2))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
