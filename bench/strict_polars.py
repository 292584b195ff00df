#!/usr/bin/env python3
"""polars doing kfollow's input checks, then the same aggregate as bench_engines.

Happy path, one lazy pass:
  * scan_csv with an explicit schema (år/period Int32, every other column String,
    empty_string_is_null=False so an empty cell is "" and a MISSING field is null):
    a line with too many fields or a non-integer år/period raises (polars names no line);
    a line with too few fields has a null last column (belopp) -> flagged;
  * belopp: strict cast String -> Decimal(18,2) fails -> null -> bad (polars' cast
    truncates 12.345 silently, so decimals are counted on the text: at most 2);
    "" (empty) -> bad. No float; sums Decimal, exact;
  * group_by konto, version, år, period over ALL rows, sum(belopp) of rows whose
    verksamhet does not start with 289, count of bad amounts / short lines;
  * the distinct keys are checked in Python (år 1900-2200, period 1-12, version known,
    konto not empty).
Error path (only when something is wrong): a second scan with a row index names the lines;
a reader error (too many fields, bad integer) is re-scanned with Python's csv module
(as kfollow's own _ragged_lines does).

    bench/strict_polars.py FILE OUT.json [--full]

Copied from ../shared/bench (issue 17) and extended to the other two bench files:
  * the Swedish dialect (a ';' header, cp1252): polars reads UTF-8 only, so the file is
    transcoded to a UTF-8 temp file first (in this process: its time counts), then read
    with ';', belopp "-1 234,50" with its spaces dropped and the comma made a point before
    the cast (decimals counted after ',');
  * Parquet (FILE ending .parquet): scan_parquet; a decimal belopp is exact already (only a
    null is bad), a text one is checked as in CSV.
"""
import csv
import re
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from _strict_finish import finish  # noqa: E402  (maps konto -> Drift row, writes groups)

t0 = time.perf_counter()
import polars as pl  # noqa: E402

path, out = sys.argv[1], sys.argv[2]
# --full: projection pushdown off, every column tokenised and kept: only then does polars
# raise on a line with too MANY fields (with pushdown it reads such a line silently).
FULL = "--full" in sys.argv
ALL = ["år", "period", "version", "konto", "ansvar", "verksamhet", "aktivitet", "projekt", "text", "belopp"]
KNOWN = {"utfall", "budget", "prognos", "outcome", "forecast", "actual", "bokfört", "bokfort"}
WIDE = re.compile(r"^(prognos|forecast)[-_ ].+$")
schema = {c: pl.String for c in ALL}
schema.update({"år": pl.Int32, "period": pl.Int32})


PARQUET = path.endswith(".parquet")
with open(path, "rb") as f:
    SV = not PARQUET and b";" in f.readline()
source = path
if SV:  # cp1252 -> UTF-8, 16 MiB at a time (a chunk ends within a character in no single-byte encoding)
    import os
    import tempfile
    fd, source = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "wb") as tmp, open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            tmp.write(chunk.decode("cp1252").encode("utf-8"))
    __import__("atexit").register(os.unlink, source)


def scan(**kw):
    if PARQUET:
        lf = pl.scan_parquet(source)
        return lf.with_row_index(kw["row_index_name"], kw["row_index_offset"]) if kw else lf
    return pl.scan_csv(source, schema=schema, empty_string_is_null=False, separator=";" if SV else ",", **kw)


b = pl.col("belopp")
TEXT_AMOUNT = not PARQUET or pl.read_parquet_schema(path)["belopp"] == pl.String
if SV:
    b = b.str.replace_all(" ", "", literal=True).str.replace(",", ".", literal=True)
if TEXT_AMOUNT:
    dot = b.str.find(".", literal=True)
    dec = b.cast(pl.Decimal(18, 2), strict=False)
    bad_amount = b.is_null() | dec.is_null() | (dot.is_not_null() & (b.str.len_bytes() - dot > 3))
else:
    dec = b.cast(pl.Decimal(18, 2))
    bad_amount = b.is_null()
keep = ~pl.col("verksamhet").str.starts_with("289").fill_null(False)


def reader_error(e):
    found = []
    with open(source, encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.reader(f, delimiter=";" if SV else ","), start=1):
            if n > 1 and row and len(row) != len(ALL):
                found.append(f"{path}:{n}: {len(row)} fields where the header has {len(ALL)}")
            elif n > 1 and row and not (row[0].lstrip("-").isdigit() and row[1].lstrip("-").isdigit()):
                found.append(f"{path}:{n}: år/period not an integer: {row[:2]}")
            if len(found) >= 50:
                break
    print("\n".join(found) or f"{path}: {e}", file=sys.stderr)
    sys.exit(3)


try:
    groups = (scan().select("konto", "version", "år", "period", "verksamhet", "belopp")
              .group_by("konto", "version", "år", "period")
              .agg(s=dec.filter(keep).sum(), bad=bad_amount.sum())
              .collect(optimizations=pl.QueryOptFlags(projection_pushdown=not FULL)))
except pl.exceptions.PolarsError as e:
    reader_error(e)


def bad_key(konto, version, year, period):
    v = (version or "").strip().lower()
    return (konto is None or not konto.strip() or not (v in KNOWN or WIDE.match(v))
            or year is None or not 1900 <= year <= 2200 or period is None or not 1 <= period <= 12)


rows = groups.rows()
if any(r[5] for r in rows) or any(bad_key(*r[:4]) for r in rows):
    v = pl.col("version").str.strip_chars().str.to_lowercase()
    bad = (bad_amount | pl.col("konto").is_null() | (pl.col("konto").str.strip_chars() == "")
           | ~pl.col("år").is_between(1900, 2200).fill_null(False)
           | ~pl.col("period").is_between(1, 12).fill_null(False)
           | ~(v.is_in(list(KNOWN)) | v.str.contains(WIDE.pattern)).fill_null(False))
    lines = scan(row_index_name="i", row_index_offset=2).filter(bad).head(50).collect()
    for r in lines.iter_rows(named=True):
        print(f"{path}:{r['i']}: bad row {[r[c] for c in ('konto', 'version', 'år', 'period', 'belopp')]}",
              file=sys.stderr)
    sys.exit(3)
finish(((k, v, y, m, int(s.scaleb(2)) if s is not None else 0) for k, v, y, m, s, _ in rows), out)
print(f"in-process {time.perf_counter() - t0:.2f} s, {len(rows)} groups", file=sys.stderr)
