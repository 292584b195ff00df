"""Reading ledger files: CSV, XLSX, Parquet and SIE into one ledger frame.

    load_ledger([Source(Path("ks-2024.xlsx"))], ReadOptions()) -> (ledger frame, notes)

load.py finds each file's format by its content and reads it with the module of that format
(csv.py, xlsx.py, parquet.py, sie.py); table.py holds what the table formats share (the header
plan, cells, rows), blocks.py turns Arrow batches into compact columns and collapses them,
pipeline.py runs parsing and converting side by side, hashing.py hashes rows for reconcile's
duplicate check, and normalise.py turns a table as read into ledger rows.
"""

from .load import load_ledger
from .options import Limits, ReadOptions, Source

__all__ = ["Limits", "ReadOptions", "Source", "load_ledger"]
