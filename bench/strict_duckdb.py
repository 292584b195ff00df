#!/usr/bin/env python3
"""DuckDB doing kfollow's input checks, then the same aggregate as bench_engines.

Happy path, one pass over the file:
  * read_csv with auto_detect=false, strict_mode=true, every column given (år/period
    INTEGER, belopp VARCHAR, the rest VARCHAR): a line with too many/too few fields, a
    non-integer år/period or invalid UTF-8 raises "CSV Error on Line: N" (the line named);
  * belopp: TRY_CAST to DECIMAL(18,2) (<= 16 digits of kronor) and at most 2 decimals
    (DuckDB's cast rounds 12.345 silently, so the decimals are counted on the text);
    empty -> bad. No float anywhere; sums DECIMAL(38,2), exact;
  * GROUP BY konto, version, år, period over ALL rows (excluded verksamhet rows are
    checked too), sum(belopp) FILTER (verksamhet not 289…), count of bad amounts;
  * the distinct keys are checked in Python: år 1900-2200, period 1-12, version known
    (utfall/budget/prognos + kfollow's aliases, prognos-*), konto not empty.
Error path (only when something is wrong): a second query with row_number() names the
lines (line = row + 1 + header).
Output: the same JSON groups as bench_engines (mapped Drift rows), for the check.

    bench/strict_duckdb.py FILE OUT.json [--rejects]   (--rejects: store_rejects=true, all bad lines)

Copied from ../shared/bench (issue 17) and extended to the other two bench files:
  * the Swedish dialect (a ';' header): delim ';', latin-1 (DuckDB reads no cp1252 without
    a download; the bench ledgers hold no byte 0x80-0x9F), belopp "-1 234,50" with its
    spaces dropped and the comma made a point before the cast, decimals counted after ',';
  * Parquet (FILE ending .parquet): read_parquet, no field-count check (the format has
    none); a decimal belopp is exact already (only a null is bad), text is checked as in CSV.
"""
import json
import re
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from _strict_finish import finish  # noqa: E402  (maps konto -> Drift row, writes groups)

t0 = time.perf_counter()
import duckdb  # noqa: E402

path, out = sys.argv[1], sys.argv[2]
rejects = "--rejects" in sys.argv
ALL = ["år", "period", "version", "konto", "ansvar", "verksamhet", "aktivitet", "projekt", "text", "belopp"]
types = {c: "VARCHAR" for c in ALL}
types.update({"år": "INTEGER", "period": "INTEGER"})
KNOWN = {"utfall", "budget", "prognos", "outcome", "forecast", "actual", "bokfört", "bokfort"}
WIDE = re.compile(r"^(prognos|forecast)[-_ ].+$")

con = duckdb.connect()
parquet = path.endswith(".parquet")
with open(path, "rb") as f:
    sv = not parquet and b";" in f.readline()
AMOUNT, POINT = ("replace(replace(belopp, ' ', ''), ',', '.')", ",") if sv else ("belopp", ".")
if parquet:
    src = f"read_parquet('{path}')"
    kind = con.sql(f"SELECT typeof(belopp) FROM {src} LIMIT 1").fetchall()[0][0]
    text_amount = kind.startswith("VARCHAR")
else:
    dialect = "delim=';', encoding='latin-1'" if sv else "delim=','"
    src = (f"read_csv('{path}', header=true, auto_detect=false, strict_mode=true, {dialect}, "
           f"quote='\"', escape='\"', {'store_rejects=true, ' if rejects else ''}"
           f"columns={json.dumps(types, ensure_ascii=False)})")
    text_amount = True
if text_amount:
    BAD_AMOUNT = (f"(d IS NULL OR (strpos(belopp, '{POINT}') > 0 "
                  f"AND strlen(belopp) - strpos(belopp, '{POINT}') > 2))")
    CAST = f"TRY_CAST({AMOUNT} AS DECIMAL(18,2))"
else:
    BAD_AMOUNT, CAST = "(d IS NULL)", "CAST(belopp AS DECIMAL(18,2))"
q = f"""
SELECT konto, version, "år", period,
       sum(d) FILTER (WHERE NOT coalesce(starts_with(verksamhet, '289'), false)) AS s,
       count(*) FILTER (WHERE {BAD_AMOUNT}) AS bad
FROM (SELECT konto, version, "år", period, verksamhet, belopp,
             {CAST} AS d FROM {src})
GROUP BY ALL
"""
try:
    rows = con.sql(q).fetchall()
except duckdb.Error as e:  # ragged line, non-integer år/period, bad UTF-8: DuckDB names the line
    msg = str(e).splitlines()
    print(f"{path}: {msg[0]} {msg[1] if len(msg) > 1 else ''}", file=sys.stderr)
    sys.exit(3)
problems = []
if rejects:
    for line, err in con.sql("SELECT line, error_message FROM reject_errors ORDER BY line LIMIT 50").fetchall():
        problems.append(f"{path}:{line}: {err.splitlines()[0]}")


def bad_key(konto, version, year, period):
    v = (version or "").strip().lower()
    return (konto is None or not konto.strip() or not (v in KNOWN or WIDE.match(v))
            or year is None or not 1900 <= year <= 2200 or period is None or not 1 <= period <= 12)


bad_keys = [r[:4] for r in rows if bad_key(*r[:4])]
if problems:  # rejected lines (kfollow too names ragged lines first, and only them)
    print("\n".join(problems), file=sys.stderr)
    sys.exit(3)
if bad_keys or any(r[5] for r in rows):
    # error path: name the lines (row_number over the scan keeps file order)
    q2 = f"""
    SELECT line, konto, version, "år", period, belopp FROM (
      SELECT row_number() OVER () + 1 AS line, *, {CAST} AS d FROM {src})
    WHERE {BAD_AMOUNT} OR konto IS NULL OR trim(konto) = '' OR "år" IS NULL OR "år" NOT BETWEEN 1900 AND 2200
       OR period IS NULL OR period NOT BETWEEN 1 AND 12
       OR version IS NULL OR NOT (lower(trim(version)) IN ('utfall','budget','prognos','outcome','forecast','actual','bokfört','bokfort')
                                  OR regexp_matches(lower(trim(version)), '^(prognos|forecast)[-_ ].+$'))
    ORDER BY line LIMIT 50"""
    for line, *vals in con.sql(q2).fetchall():
        problems.append(f"{path}:{line}: bad row {vals}")
    print("\n".join(problems), file=sys.stderr)
    sys.exit(3)
finish(((k, v, y, m, int(s.scaleb(2)) if s is not None else 0) for k, v, y, m, s, _ in rows), out)
print(f"in-process {time.perf_counter() - t0:.2f} s, {len(rows)} groups", file=sys.stderr)
