"""`kfollow convert`: any input (CSV, XLSX, SIE) as the canonical long ledger of SPEC §1.

What kfollow read, so that an economist can open it: one row per ledger row, Swedish column
names, amounts in kronor with öre in ledger sign (debit +). The CSV is UTF-8 with a BOM (Excel
then reads åäö right), `;`-separated with a decimal comma, and kfollow reads it back to the
same öre. kontotext, where a file has a name column, is each row's account name as read.
"""

from __future__ import annotations

import io
from typing import cast

import numpy as np
import pandas as pd

from .errors import OptionError
from .ledger import DIMENSIONS

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


def kronor_text(ore: np.ndarray) -> pd.Series:
    """öre -> '-1234,50', vectorised."""
    magnitude = np.abs(ore)
    whole = pd.Series(magnitude // 100).astype(str)
    cents = pd.Series(magnitude % 100).astype(str).str.zfill(2)
    signs = cast("pd.Series[str]", pd.Series(np.where(ore < 0, "-", "")))  # pandas-stubs: Series[float]
    return signs + whole + "," + cents


def csv_bytes(ledger: pd.DataFrame) -> bytes:
    frame = canonical_frame(ledger)  # a new frame: the ledger's columns are not touched
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
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Huvudbok")
    sheet.append(list(frame.columns))
    amounts = frame["belopp"].to_numpy() / 100  # exact to the öre when read back (floats_to_ore)
    codes = frame.drop(columns="belopp")
    values = codes.astype(object).where(codes.notna(), None)
    for row, amount in zip(values.itertuples(index=False, name=None), amounts, strict=True):
        sheet.append([*(int(v) if isinstance(v, np.integer) else v for v in row), float(amount)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
