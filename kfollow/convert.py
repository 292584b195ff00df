"""`kfollow convert`: any input (CSV, XLSX, SIE) as the canonical long ledger of SPEC §1.

What kfollow read, so that an economist can open it: one row per ledger row, Swedish column
names, amounts in kronor with öre in ledger sign (debit +). The CSV is UTF-8 with a BOM (Excel
then reads åäö right), `;`-separated with a decimal comma, and kfollow reads it back to the
same öre. kontotext, where a file has a name column, is each row's account name as read.

Text that a spreadsheet would run as a formula (render.formula_like) is written so that none
does (SPEC §5): in the CSV behind a leading ', in the workbook as a text cell.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd

from .errors import OptionError, shown
from .ledger import DIMENSIONS
from .render import XLSX_ILLEGAL, csv_cell, formula_like, xlsx_special, xlsx_text

# ledger column -> canonical header, in output order
HEADERS = {
    "year": "år",
    "period": "period",
    "version": "version",
    "account": "konto",
    "account_name": "kontotext",
    **{dimension: dimension for dimension in DIMENSIONS},
    "text": "text",
    "amount": "belopp",
}
XLSX_ROWS = 1_048_575  # an Excel sheet's rows, less the header


def canonical_frame(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger's columns under their canonical names; optional ones only where present."""
    optional = (*DIMENSIONS, "text", "account_name")
    columns = [c for c in HEADERS if c in ledger and (c not in optional or ledger[c].notna().any())]
    return ledger[columns].rename(columns=HEADERS)


def _texts(frame: pd.DataFrame) -> list[str]:
    """The text columns (codes, names, text, version): all but år, period and belopp."""
    return [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype) or frame[c].dtype == object]


def _category_mask(column: pd.Series, special: Callable[[str], bool]) -> np.ndarray | None:
    """Per row, whether its text is `special`; None where no row's is. Judged once per
    distinct text (the category), not per row: some 0.2-0.5 s per million distinct texts."""
    values = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
    texts = values.cat.categories.astype(str).tolist()  # a list: iterating the Index is 10× slower
    hits = np.fromiter(map(special, texts), dtype=bool, count=len(texts))
    if not hits.any():
        return None
    codes = values.cat.codes.to_numpy()
    mask: np.ndarray = (codes >= 0) & np.append(hits, False)[codes]  # code -1 (no value): index -1, False
    return mask


def neutral_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """The text columns with every formula-like text behind a ' (render.csv_cell)."""
    for name in _texts(frame):
        mask = _category_mask(frame[name], formula_like)
        if mask is None:
            continue
        values = frame[name].astype(object).to_numpy(copy=True)
        values[mask] = [csv_cell(str(v)) for v in values[mask]]
        frame[name] = values
    return frame


def kronor_text(ore: np.ndarray) -> pd.Series:
    """öre -> '-1234,50', vectorised."""
    magnitude = np.abs(ore)
    whole = pd.Series(magnitude // 100).astype(str)
    cents = pd.Series(magnitude % 100).astype(str).str.zfill(2)
    signs = cast("pd.Series[str]", pd.Series(np.where(ore < 0, "-", "")))  # pandas-stubs: Series[float]
    return signs + whole + "," + cents


def csv_bytes(ledger: pd.DataFrame) -> bytes:
    frame = neutral_csv(canonical_frame(ledger))  # a new frame: the ledger's columns are not touched
    frame["belopp"] = kronor_text(frame["belopp"].to_numpy()).to_numpy()
    buffer = io.BytesIO()
    frame.to_csv(buffer, sep=";", index=False, lineterminator="\n", encoding="utf-8-sig")  # with a BOM
    return buffer.getvalue()


def xlsx_bytes(ledger: pd.DataFrame) -> bytes:
    """A sheet 'Huvudbok' with the same columns; amounts as numbers with two decimals."""
    from openpyxl import Workbook

    if len(ledger) > XLSX_ROWS:
        raise OptionError(
            f"-o …xlsx: {len(ledger)} rows do not fit an Excel sheet ({XLSX_ROWS + 1} rows): write CSV (-o ledger.csv)"
        )
    frame = canonical_frame(ledger)
    _check_xlsx_text(ledger, frame)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Huvudbok")
    sheet.append(list(frame.columns))
    amounts = frame["belopp"].to_numpy() / 100  # exact to the öre when read back (floats_to_ore)
    codes = frame.drop(columns="belopp")
    values = codes.astype(object).where(codes.notna(), None)
    # Rows with a text openpyxl would write as a formula (or error value): their cells are
    # made here, as text cells (render.xlsx_text); every other row is appended as values.
    special = np.zeros(len(frame), dtype=bool)
    for name in _texts(codes):
        mask = _category_mask(codes[name], xlsx_special)
        if mask is not None:
            special |= mask
    for row, amount, odd in zip(values.itertuples(index=False, name=None), amounts, special, strict=True):
        cells = [*(int(v) if isinstance(v, np.integer) else v for v in row), float(amount)]
        sheet.append(_text_cells(sheet, cells) if odd else cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _check_xlsx_text(ledger: pd.DataFrame, frame: pd.DataFrame) -> None:
    """OptionError where a text holds a character an xlsx cannot (render.XLSX_ILLEGAL): the
    workbook would lose it; CSV keeps it."""
    for name in _texts(frame):
        mask = _category_mask(frame[name], lambda text: XLSX_ILLEGAL.search(text) is not None)
        if mask is None:
            continue
        row = int(np.flatnonzero(mask)[0])
        text = str(frame[name].iloc[row])
        where = ""
        if {"source", "line"} <= set(ledger):
            where = f"{ledger['source'].iloc[row]}:{ledger['line'].iloc[row]}: "
        raise OptionError(
            f"-o …xlsx: {where}{name} {shown(text)} holds a control character that an xlsx cannot hold: "
            "write CSV (-o ledger.csv)"
        )


def _text_cells(sheet: Any, values: list[Any]) -> list[Any]:
    """A row as write-only cells, each text one a text cell (render.xlsx_text)."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        xlsx_text(cell)
        cells.append(cell)
    return cells
