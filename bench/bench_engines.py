#!/usr/bin/env python3
"""Issue 6: `kfollow variance` against DuckDB, polars and pandas doing the same work.

    .venv/bin/python bench/bench_engines.py [--only csv,xlsx,parquet,misc]
        [--sizes 1M,10M,100k] [--repeat 3] [--json FILE] [--kfollow CMD] [--no-exclude]
    .venv/bin/python bench/bench_engines.py --anchors [--rounds 5] [--only csv-utf8,csv-sv,parquet]
        [--tree before=/tmp/before] [--engines strict-duckdb,strict-polars,duckdb,polars]

--anchors (issue 17): kfollow against DuckDB and polars doing kfollow's input checks
(bench/strict_duckdb.py, bench/strict_polars.py) and the raw engines, on the 10M-row UTF-8,
cp1252 and Parquet ledgers, interleaved, --rounds rounds; per row the median wall, CPU
(user + sys), kernel (sys) time and minor page faults, and the highest peak RSS, and each
÷ strict DuckDB's. kfollow runs as `python -m kfollow` with PYTHONPATH on this tree (and on
each --tree), from a temporary folder.

Every engine runs as a separate child process (wall = spawn..reap, imports included;
peak = ru_maxrss of that child), best of --repeat, the engines alternating within each
round. All engines do the same work on the same file:

  read år, period, version, konto, verksamhet, belopp with the file's dialect;
  amounts to exact öre (Decimal(18,2), or float64 rounded to öre where noted);
  drop rows whose verksamhet starts with 289 (kfollow: --exclude verksamhet=289);
  sum by konto × version × år × period, map konto to its Drift row by longest prefix
  (kfollow/data/kommun-bas.toml laid under bench/kfollow.toml, "-" drops the account),
  and sum again by row × version × year × month.

The engines' group sums (öre) are turned into the default Drift table (tkr, as
bench/check_variance.py does) and compared with kfollow's JSON: OK / MISMATCH. They
are also compared with each other to the öre.

Files (bench/.data/, gitignored; made once, then reused):
  csv      ledger_{1000000,10000000}_{utf8,sv}_s1.csv (bench/make_ledger.py, made if missing)
  xlsx     ledger_{100000,1000000}_s1.xlsx: the first N rows of the 1M UTF-8 CSV, written
           with xlsxwriter (constant_memory): år, period, belopp as numbers, codes as text
  parquet  ledger_10000000_s1.parquet: the 10M UTF-8 CSV via pyarrow (år int16, period
           int8, codes string, belopp decimal128(18,2), snappy)
  misc     `kfollow --help` (best of 10) and ledger_10000_utf8_s1.csv (the first 10k rows
           of the 1M UTF-8 CSV) end to end

The parent imports nothing heavy (a child's ru_maxrss starts from the parent's RSS).
Internal entry points: --child ENGINE KIND FILE OUT, --make-xlsx, --make-parquet.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import BENCH, CHILD_ENV, DATA, ROOT, kfollow_command, ledger_csv, parse_sizes, run_child

CONFIG = BENCH / "kfollow.toml"
KOMMUN_BAS = ROOT / "kfollow" / "data" / "kommun-bas.toml"
SEED = 1
EXCLUDE_PREFIX = "289"   # verksamhet; --no-exclude drops the filter for every engine
COLS = ["år", "period", "version", "konto", "verksamhet", "belopp"]
ALL_COLS = ["år", "period", "version", "konto", "ansvar", "verksamhet", "aktivitet",
            "projekt", "text", "belopp"]
LEAVES = ["Verksamhetens intäkter", "Personalkostnader", "Lokalhyror", "Köp av tjänster",
          "Övriga kostnader", "Kommunbidrag", "Finansnetto"]
# issue 6 targets: kfollow wall / fastest engine's wall at these cases, peak RSS at 10M
TARGETS = {("csv-utf8", 10_000_000): 1.5, ("csv-sv", 10_000_000): 1.7,
           ("parquet", 10_000_000): 1.5, ("xlsx", 1_000_000): 1.3}
RSS_TARGET_MIB = 600
HELP_TARGET_S = 0.1
SMALL_TARGET_S = 0.5


# ---------------------------------------------------------------------------------------
# children: the engines
# ---------------------------------------------------------------------------------------

def account_map() -> dict[str, str]:
    import tomllib
    m: dict[str, str] = {}
    for p in (KOMMUN_BAS, CONFIG):
        with open(p, "rb") as f:
            m.update(tomllib.load(f).get("accounts", {}))
    return m


def finish(groups, out: str) -> None:
    """groups: iterable of (konto, version, år, period, öre) -> OUT as JSON rows
    [row, version, year, month, öre] (accounts mapped by longest prefix)."""
    amap = account_map()
    cache: dict[str, str | None] = {}
    acc: dict[tuple, int] = {}
    for konto, version, year, month, ore in groups:
        konto = str(konto)
        if konto not in cache:
            row = None
            for n in range(len(konto), 0, -1):
                if konto[:n] in amap:
                    row = amap[konto[:n]]
                    break
            if row is None:
                raise SystemExit(f"unmapped account {konto}")
            cache[konto] = None if row == "-" else row
        row = cache[konto]
        if row is None:
            continue
        key = (row, str(version), int(year), int(month))
        acc[key] = acc.get(key, 0) + int(ore)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(sorted([*k, v] for k, v in acc.items()), f)


def dec_to_ore(d) -> int:
    return int(d.scaleb(2)) if d is not None else 0


def sniff(path: str) -> str:
    with open(path, "rb") as f:
        return "sv" if b";" in f.readline() else "utf8"


def transcode_cp1252(path: str) -> str:
    """cp1252 -> UTF-8 temp file, 16 MiB at a time (polars reads UTF-8 only)."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", dir=DATA)
    with os.fdopen(fd, "wb") as out, open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            out.write(chunk.decode("cp1252").encode("utf-8"))
    return tmp


def polars_query(lf, exclude: bool):
    import polars as pl
    if exclude:
        lf = lf.filter(~pl.col("verksamhet").str.starts_with(EXCLUDE_PREFIX).fill_null(False))
    return (lf.group_by("konto", "version", "år", "period")
              .agg(pl.col("belopp").sum()).collect())


def child_polars(kind: str, path: str, out: str, exclude: bool) -> None:
    import polars as pl
    if kind == "parquet":
        lf = pl.scan_parquet(path).select(COLS)
        rows = polars_query(lf, exclude).rows()
        finish(((k, v, y, m, dec_to_ore(b)) for k, v, y, m, b in rows), out)
        return
    sv = sniff(path) == "sv"
    src = transcode_cp1252(path) if sv else path
    try:
        schema = {c: pl.String for c in ALL_COLS}
        schema.update({"år": pl.Int16, "period": pl.Int8})
        if not sv:
            schema["belopp"] = pl.Decimal(18, 2)
        lf = pl.scan_csv(src, separator=";" if sv else ",", schema=schema).select(COLS)
        if sv:  # "-1 234,50": drop the space thousands separators, comma -> point
            lf = lf.with_columns(pl.col("belopp").str.replace_all(" ", "", literal=True)
                                 .str.replace(",", ".", literal=True)
                                 .cast(pl.Decimal(18, 2)))
        rows = polars_query(lf, exclude).rows()
    finally:
        if sv:
            os.unlink(src)
    finish(((k, v, y, m, dec_to_ore(b)) for k, v, y, m, b in rows), out)


def child_duckdb(kind: str, path: str, out: str, exclude: bool) -> None:
    import duckdb
    con = duckdb.connect()
    if kind == "parquet":
        src = f"read_parquet('{path}')"
    else:
        sv = sniff(path) == "sv"
        types = {c: "VARCHAR" for c in ALL_COLS}
        types.update({"år": "SMALLINT", "period": "TINYINT", "belopp": "DECIMAL(18,2)"})
        # latin-1: DuckDB's CSV reader knows utf-8, utf-16 and latin-1 only (cp1252 needs
        # the 'encodings' extension, a download). latin-1 equals cp1252 except 0x80-0x9F;
        # the bench ledgers hold no such byte (only ÄÅÖäåéö above 0x7F).
        opts = ("delim=';', decimal_separator=',', thousands=' ', encoding='latin-1'"
                if sv else "delim=','")
        src = (f"read_csv('{path}', header=true, {opts}, quote='\"', "
               f"columns={json.dumps(types, ensure_ascii=False)})")
    where = f"WHERE NOT coalesce(starts_with(verksamhet, '{EXCLUDE_PREFIX}'), false)" \
        if exclude else ""
    rows = con.sql(f'SELECT konto, version, "år", period, sum(belopp) FROM {src} {where} '
                   "GROUP BY ALL").fetchall()
    finish(((k, v, y, m, dec_to_ore(b)) for k, v, y, m, b in rows), out)


def pandas_group(df, exclude: bool):
    import numpy as np
    if exclude:
        v = df["verksamhet"].astype("category")
        bad = np.asarray(v.cat.categories.astype(str).str.startswith(EXCLUDE_PREFIX))
        codes = v.cat.codes.to_numpy()
        df = df[~(bad[codes] & (codes >= 0))]
    s = df.groupby(["konto", "version", "år", "period"], observed=True, sort=False)["ore"].sum()
    return [(*k, o) for k, o in s.items()]


def child_pandas(kind: str, path: str, out: str, exclude: bool) -> None:
    import numpy as np
    import pandas as pd
    if kind == "parquet":
        df = pd.read_parquet(path, columns=COLS, dtype_backend="pyarrow")
        df["ore"] = (df["belopp"] * 100).astype("int64[pyarrow]")  # exact: decimal128
        for c in ("konto", "version", "verksamhet"):
            df[c] = df[c].astype("category")
    else:
        sv = sniff(path) == "sv"
        opts = (dict(sep=";", decimal=",", thousands=" ", encoding="cp1252") if sv
                else dict(sep=",", encoding="utf-8"))
        dtype = {"år": "int16", "period": "int8", "version": "category", "konto": "category",
                 "verksamhet": "category", "belopp": "float64"}
        df = pd.read_csv(path, usecols=COLS, dtype=dtype, keep_default_na=False,
                         engine="c", **opts)
        # float64 -> öre: exact for two-decimal amounts below 2**53 öre
        df["ore"] = np.rint(df["belopp"].to_numpy() * 100).astype(np.int64)
    finish(pandas_group(df, exclude), out)


def group_columns(cols: dict, exclude: bool, out: str) -> None:
    """polars group-by on plain columns from an XLSX reader (float kronor -> öre)."""
    import polars as pl
    df = pl.DataFrame(cols)
    df = df.with_columns(konto=pl.col("konto").cast(pl.String),
                         verksamhet=pl.col("verksamhet").cast(pl.String),
                         ore=(pl.col("belopp").cast(pl.Float64) * 100).round().cast(pl.Int64))
    if exclude:
        df = df.filter(~pl.col("verksamhet").str.starts_with(EXCLUDE_PREFIX).fill_null(False))
    rows = df.group_by("konto", "version", "år", "period").agg(pl.col("ore").sum()).rows()
    finish(rows, out)


def child_calamine(kind: str, path: str, out: str, exclude: bool) -> None:
    from python_calamine import CalamineWorkbook
    rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
    header = [str(h) for h in rows[0]]
    idx = [header.index(c) for c in COLS]
    data = rows[1:]
    del rows
    cols = {c: [r[i] for r in data] for c, i in zip(COLS, idx, strict=False)}
    del data
    # calamine returns numbers as float (år 2024.0): ints for the keys
    cols["år"] = [int(x) for x in cols["år"]]
    cols["period"] = [int(x) for x in cols["period"]]
    group_columns(cols, exclude, out)


def child_fastexcel(kind: str, path: str, out: str, exclude: bool) -> None:
    import fastexcel
    import polars as pl
    dtypes = {"år": "int", "period": "int", "version": "string", "konto": "string",
              "verksamhet": "string", "belopp": "float"}
    rb = fastexcel.read_excel(path).load_sheet(0, use_columns=COLS, dtypes=dtypes).to_arrow()
    group_columns({c: pl.from_arrow(rb.column(c)) for c in COLS}, exclude, out)


CHILDREN = {"polars": child_polars, "duckdb": child_duckdb, "pandas": child_pandas,
            "calamine": child_calamine, "fastexcel": child_fastexcel}


# ---------------------------------------------------------------------------------------
# children: file generation
# ---------------------------------------------------------------------------------------

def make_xlsx(src: str, rows: int, out: str) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import xlsxwriter
    t0 = time.perf_counter()
    types = {c: pa.string() for c in ALL_COLS}
    types.update({"år": pa.int16(), "period": pa.int8(), "belopp": pa.float64()})
    reader = pcsv.open_csv(src, convert_options=pcsv.ConvertOptions(
        column_types=types, strings_can_be_null=False))
    tmp = out + ".tmp.xlsx"
    wb = xlsxwriter.Workbook(tmp, {"constant_memory": True})
    ws = wb.add_worksheet("Huvudbok")
    ws.write_row(0, 0, ALL_COLS)
    done = 0
    for batch in reader:
        cols = [batch.column(c).to_pylist() for c in ALL_COLS]
        for r in zip(*cols, strict=False):
            if done >= rows:
                break
            done += 1
            ws.write_row(done, 0, r)  # "" -> blank cell
            if done % 100_000 == 0:
                print(f"  xlsx {done:,}/{rows:,} rows, {time.perf_counter() - t0:.0f} s",
                      file=sys.stderr, flush=True)
        if done >= rows:
            break
    wb.close()
    os.replace(tmp, out)
    print(f"  wrote {out} ({os.path.getsize(out) / 2**20:.1f} MiB) in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)


def make_parquet(src: str, out: str) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq
    t0 = time.perf_counter()
    types = {c: pa.string() for c in ALL_COLS}
    types.update({"år": pa.int16(), "period": pa.int8(), "belopp": pa.decimal128(18, 2)})
    reader = pcsv.open_csv(src, read_options=pcsv.ReadOptions(block_size=1 << 26),
                           convert_options=pcsv.ConvertOptions(column_types=types,
                                                               strings_can_be_null=True))
    tmp = out + ".tmp"
    with pq.ParquetWriter(tmp, reader.schema) as w:
        n = 0
        for batch in reader:
            w.write_batch(batch, row_group_size=1 << 20)
            n += batch.num_rows
    os.replace(tmp, out)
    print(f"  wrote {out}: {n:,} rows, {os.path.getsize(out) / 2**20:.1f} MiB in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)


# ---------------------------------------------------------------------------------------
# parent
# ---------------------------------------------------------------------------------------

def csv_file(rows: int, dialect: str) -> Path:
    return ledger_csv(rows, dialect, SEED)[0]  # kept: the same files bench_variance uses


def xlsx_file(rows: int) -> Path:
    path = DATA / f"ledger_{rows}_s{SEED}.xlsx"
    if not path.exists():
        src = csv_file(1_000_000, "utf8")
        print(f"generating {path.name} from {src.name} (minutes for 1M rows) …",
              file=sys.stderr)
        subprocess.run([sys.executable, __file__, "--make-xlsx", str(src), str(rows),
                        str(path)], check=True, cwd=ROOT)
    return path


def parquet_file(rows: int) -> Path:
    path = DATA / f"ledger_{rows}_s{SEED}.parquet"
    if not path.exists():
        src = csv_file(rows, "utf8")
        print(f"generating {path.name} from {src.name} …", file=sys.stderr)
        subprocess.run([sys.executable, __file__, "--make-parquet", str(src), str(path)],
                       check=True, cwd=ROOT)
    return path


def small_csv(rows: int = 10_000) -> Path:
    path = DATA / f"ledger_{rows}_utf8_s{SEED}.csv"
    if not path.exists():
        src = csv_file(1_000_000, "utf8")
        with open(src, "rb") as f, open(str(path) + ".tmp", "wb") as out:
            for i, line in enumerate(f):
                if i > rows:
                    break
                out.write(line)
        os.replace(str(path) + ".tmp", path)
    return path


def drift(groups: list) -> tuple[int, int, dict]:
    """Engine groups [row, version, year, month, öre(ledger sign)] -> (year, through,
    {label: {column: tkr}}) as kfollow's default Drift table (check_variance.py)."""
    utf = [(y, m) for _, v, y, m, _ in groups if v == "utfall"]
    year = max(y for y, _ in utf)
    through = max(m for y, m in utf if y == year)

    def col(version, yr, months):
        s = dict.fromkeys(LEAVES, 0)
        for row, v, y, m, ore in groups:
            if v == version and y == yr and m <= months:
                s[row] -= ore  # report sign
        return s

    c = {"budget": col("budget", year, 12), "forecast": col("prognos", year, 12),
         "outcome": col("utfall", year, through),
         "outcome_previous": col("utfall", year - 1, through)}
    c["forecast_deviation"] = {k: c["forecast"][k] - c["budget"][k] for k in LEAVES}
    c["outcome_change"] = {k: c["outcome"][k] - c["outcome_previous"][k] for k in LEAVES}
    table: dict[str, dict[str, int]] = {}
    for key, v in c.items():
        v = dict(v)
        v["Verksamhetens kostnader"] = sum(v[k] for k in LEAVES[1:5])
        v["Verksamhetens nettokostnader"] = v["Verksamhetens intäkter"] + v["Verksamhetens kostnader"]
        v["Årets resultat"] = v["Verksamhetens nettokostnader"] + v["Kommunbidrag"] + v["Finansnetto"]
        for label, x in v.items():
            q, r = divmod(abs(x), 100_000)
            table.setdefault(label, {})[key] = (1 if x > 0 else -1) * (q + (r >= 50_000))
    return year, through, table


def compare_kfollow(groups: list, kf: dict) -> str | None:
    """None if the engine's Drift table equals kfollow's JSON, else a description."""
    year, through, exp = drift(groups)
    diffs = []
    if (kf.get("year"), kf.get("through")) != (year, through):
        diffs.append(f"year/through {kf.get('year')}/{kf.get('through')} vs {year}/{through}")
    for row in kf.get("rows", []):
        want = exp.get(row["label"])
        if want is None:
            diffs.append(f"row {row['label']!r}")
            continue
        for k, w in want.items():
            if row["values"].get(k) != w:
                diffs.append(f"{row['label']}/{k}: kfollow {row['values'].get(k)}, engine {w}")
    return "; ".join(diffs[:3]) + (f" (+{len(diffs) - 3})" if len(diffs) > 3 else "") \
        if diffs else None


def bench_case(name: str, kind: str, path: Path, rows: int, engines: list[str], kf: list[str],
               kf_extra: list[str], repeat: int, exclude: bool) -> list[dict]:
    tmpdir = Path(tempfile.mkdtemp(prefix="bench_engines_"))
    cmds: dict[str, tuple[list[str], Path]] = {}
    for e in engines:
        out = tmpdir / f"{e}.json"
        if e == "kfollow":
            cmds[e] = ([*kf, "variance", str(path), "--config", str(CONFIG), "--format", "json", *kf_extra], out)
        else:
            cmds[e] = ([sys.executable, __file__, "--child", e, kind, str(path), str(out)]
                       + ([] if exclude else ["--no-exclude"]), out)
    walls: dict[str, list[float]] = {e: [] for e in engines}
    rss: dict[str, list[float]] = {e: [] for e in engines}
    errors: dict[str, str] = {}
    for i in range(repeat):
        for e, (cmd, out) in cmds.items():
            if e in errors:
                continue
            if e == "kfollow":
                with open(out, "wb") as f:
                    r = run_child(cmd, f)
                    wall, peak, rc, err = r["wall"], r["mib"], r["rc"], r["err"]
            else:
                with open(os.devnull, "wb") as f:
                    r = run_child(cmd, f)
                    wall, peak, rc, err = r["wall"], r["mib"], r["rc"], r["err"]
            print(f"  {name:<9} {rows:>11,} {e:<9} run {i + 1}: {wall:7.2f} s {peak:7.0f} MiB"
                  f" exit {rc}", file=sys.stderr, flush=True)
            if rc != 0:
                last = (err.strip().splitlines() or ["?"])[-1]
                if e == "kfollow" and kind == "parquet":
                    errors[e] = f"not supported yet ({last[:120]})"
                else:
                    errors[e] = f"exit {rc}: {last[:200]}"
                print(f"    {errors[e]}", file=sys.stderr)
                continue
            walls[e].append(wall)
            rss[e].append(peak)
    # correctness: engines vs kfollow (Drift table, tkr) and vs each other (öre)
    kfjson = None
    if "kfollow" in engines and "kfollow" not in errors:
        kfjson = json.loads(cmds["kfollow"][1].read_text(encoding="utf-8"))
    ref_groups, ref_name = None, None
    checks: dict[str, str] = {}
    for e in engines:
        if e == "kfollow" or e in errors:
            continue
        groups = json.loads(cmds[e][1].read_text(encoding="utf-8"))
        problems = []
        if kfjson is not None:
            d = compare_kfollow(groups, kfjson)
            if d:
                problems.append(f"vs kfollow: {d}")
        if ref_groups is None:
            ref_groups, ref_name = groups, e
        elif groups != ref_groups:
            problems.append(f"öre sums differ from {ref_name}")
        checks[e] = "MISMATCH " + " | ".join(problems) if problems else "OK"
        print(f"  {name:<9} {rows:>11,} {e:<9} check: {checks[e]}", file=sys.stderr)
    if kfjson is not None:
        checks["kfollow"] = "ref" if ref_groups is None or not any(
            c.startswith("MISMATCH") for c in checks.values()) else "see engines"
        if ref_groups is not None and compare_kfollow(ref_groups, kfjson) is None:
            checks["kfollow"] = "OK"
    for f in tmpdir.iterdir():
        f.unlink()
    tmpdir.rmdir()
    res = []
    for e in engines:
        res.append({"case": name, "kind": kind, "file": path.name,
                    "bytes": path.stat().st_size, "rows": rows, "engine": e,
                    "wall_s": min(walls[e]) if walls[e] else None, "runs_s": walls[e],
                    "peak_mib": max(rss[e]) if rss[e] else None,
                    "error": errors.get(e), "check": checks.get(e)})
    ok = [r["wall_s"] for r in res if r["wall_s"] is not None]
    for r in res:
        r["ratio"] = r["wall_s"] / min(ok) if r["wall_s"] is not None else None
        if r["engine"] == "kfollow":
            lim = TARGETS.get((name, rows))
            r["target"] = lim
            if lim is not None:
                r["pass"] = (r["ratio"] is not None and r["ratio"] <= lim
                             and (rows < 10_000_000 or r["peak_mib"] <= RSS_TARGET_MIB))
    return res


def bench_misc(kf: list[str], kf_extra: list[str], repeat: int) -> list[dict]:
    res = []
    walls, peaks = [], []
    with open(os.devnull, "wb") as dn:
        for _ in range(10):
            r = run_child([*kf, "--help"], dn)
            w, p, rc, err = r["wall"], r["mib"], r["rc"], r["err"]
            walls.append(w)
            peaks.append(p)
    res.append({"case": "misc", "kind": "help", "file": "kfollow --help", "rows": 0,
                "engine": "kfollow", "wall_s": min(walls), "runs_s": walls,
                "peak_mib": max(peaks), "target_s": HELP_TARGET_S,
                "pass": min(walls) <= HELP_TARGET_S, "error": None if rc == 0 else err})
    path = small_csv()
    walls, peaks = [], []
    with open(os.devnull, "wb") as dn:
        for _ in range(max(repeat, 5)):
            r = run_child([*kf, "variance", str(path), "--config", str(CONFIG), "--format", "json", *kf_extra], dn)
            w, p, rc, err = r["wall"], r["mib"], r["rc"], r["err"]
            walls.append(w)
            peaks.append(p)
    res.append({"case": "misc", "kind": "csv", "file": path.name, "rows": 10_000,
                "engine": "kfollow", "wall_s": min(walls), "runs_s": walls,
                "peak_mib": max(peaks), "target_s": SMALL_TARGET_S,
                "pass": min(walls) <= SMALL_TARGET_S, "error": None if rc == 0 else err})
    for r in res:
        print(f"  misc {r['file']}: {r['wall_s']:.3f} s (best of {len(r['runs_s'])}), "
              f"{r['peak_mib']:.0f} MiB", file=sys.stderr)
    return res


def versions() -> str:
    code = ("import sys, importlib.metadata as m\nv = [f'python {sys.version.split()[0]}']\n"
            "for d in ('kfollow','pandas','numpy','pyarrow','polars','duckdb','fastexcel',"
            "'python-calamine','xlsxwriter'):\n"
            "    try: v.append(f'{d} {m.version(d)}')\n"
            "    except m.PackageNotFoundError: v.append(f'{d} -')\nprint(', '.join(v))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True).stdout.strip()


def print_table(results: list[dict], repeat: int) -> None:
    print("\n| file | rows | engine | wall s | peak MiB | × fastest | target | verdict |")
    print("| --- | ---: | --- | ---: | ---: | ---: | --- | --- |")
    for r in results:
        if r["wall_s"] is None:
            print(f"| {r['file']} | {r['rows']:,} | {r['engine']} | – | – | – | "
                  f"{'≤ {:.1f}×'.format(r['target']) if r.get('target') else ''} | {r['error']} |")
            continue
        if r["case"] == "misc":
            tgt = f"≤ {r['target_s']} s"
            ratio = "–"
        else:
            ratio = f"{r['ratio']:.2f}"
            tgt = f"≤ {r['target']}×" + (f", ≤ {RSS_TARGET_MIB} MiB" if r["rows"] >= 10_000_000
                                          else "") if r.get("target") else ""
        verdict = ("PASS" if r["pass"] else "FAIL") if "pass" in r else ""
        chk = r.get("check")
        if chk and chk not in ("OK", "ref"):
            verdict += f" check: {chk}"
        elif chk:
            verdict = (verdict + " " if verdict else "") + f"check {chk}"
        print(f"| {r['file']} | {r['rows']:,} | {r['engine']} | {r['wall_s']:.2f} | "
              f"{r['peak_mib']:.0f} | {ratio} | {tgt} | {verdict} |")
    print(f"\n(wall s: best of {repeat} (misc: --help best of 10, 10k best of "
          f"{max(repeat, 5)}), spawn..reap; peak MiB: max ru_maxrss of the child; "
          f"{os.cpu_count()} CPUs)")


# ---------------------------------------------------------------------------------------
# anchors (issue 17): kfollow against engines doing kfollow's checks, interleaved
# ---------------------------------------------------------------------------------------

STRICT = {"strict-duckdb": BENCH / "strict_duckdb.py", "strict-polars": BENCH / "strict_polars.py"}
ANCHOR_TARGETS = {"csv-utf8": 1.2, "csv-sv": 1.3, "parquet": 1.2}  # kfollow / strict-duckdb
ANCHOR_RSS_MIB = 400
ANCHOR_SYS = 2.0  # kfollow's kernel time / strict-duckdb's


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def anchor_commands(kind: str, path: Path, trees: dict[str, Path], engines: list[str], out: Path,
                    kf_extra: list[str]) -> dict[str, tuple[list[str], dict | None]]:
    """engine -> (command, env); kfollow runs as `python -m kfollow` with PYTHONPATH on a tree
    (from a folder outside every tree: a checkout as the working directory would come first)."""
    cmds: dict[str, tuple[list[str], dict | None]] = {}
    for label, tree in trees.items():
        env = dict(CHILD_ENV, PYTHONPATH=str(tree))
        cmds[label] = ([sys.executable, "-m", "kfollow", "variance", str(path), "--config", str(CONFIG),
                        "--format", "json", "-o", str(out / f"{label}.json"), *kf_extra], env)
    for e in engines:
        if e in STRICT:
            cmds[e] = ([sys.executable, str(STRICT[e]), str(path), str(out / f"{e}.json")], None)
        else:
            cmds[e] = ([sys.executable, __file__, "--child", e, kind, str(path), str(out / f"{e}.json")], None)
    return cmds


def anchor_case(name: str, kind: str, path: Path, trees: dict[str, Path], engines: list[str],
                rounds: int, kf_extra: list[str]) -> list[dict]:
    """Every command once per round, in turn (the order turned by one each round), `rounds`
    times; medians of wall, CPU, kernel time and minor faults, the highest peak RSS."""
    out = Path(tempfile.mkdtemp(prefix="bench_anchor_"))
    cmds = anchor_commands(kind, path, trees, engines, out, kf_extra)
    order = list(cmds)
    runs: dict[str, list[dict]] = {e: [] for e in order}
    loads = [load()]
    for i in range(rounds):
        turn = order[i % len(order):] + order[:i % len(order)]
        for e in turn:
            cmd, env = cmds[e]
            r = run_child(cmd, cwd=str(out), env=env)
            if r["rc"] != 0:
                raise SystemExit(f"{e} on {path.name} failed: {r['err'].strip()[-400:]}")
            runs[e].append(r)
            print(f"  {name:<9} {e:<15} round {i + 1}: {r['wall']:6.2f} s wall {r['cpu']:6.2f} s CPU "
                  f"{r['sys']:5.2f} s sys {r['minflt']:>8} flt {r['mib']:5.0f} MiB", file=sys.stderr, flush=True)
        loads.append(load())
    checks = anchor_checks(out, trees, engines)
    med = statistics.median
    results = []
    for e in order:
        rs = runs[e]
        results.append({"case": name, "file": path.name, "engine": e, "rounds": rounds,
                        "wall": med(r["wall"] for r in rs), "cpu": med(r["cpu"] for r in rs),
                        "sys": med(r["sys"] for r in rs), "minflt": med(r["minflt"] for r in rs),
                        "peak": max(r["mib"] for r in rs), "check": checks.get(e, ""), "load": loads,
                        "walls": [round(r["wall"], 3) for r in rs], "cpus": [round(r["cpu"], 3) for r in rs]})
    return results


def anchor_checks(out: Path, trees: dict[str, Path], engines: list[str]) -> dict[str, str]:
    """Each engine's groups give kfollow's Drift table (OK), and every engine the same groups."""
    reference = json.loads((out / f"{engines[0]}.json").read_text())
    found = {}
    for e in engines:
        groups = json.loads((out / f"{e}.json").read_text())
        found[e] = "OK" if groups == reference else f"groups differ from {engines[0]}"
    for label in trees:
        diff = compare_kfollow(reference, json.loads((out / f"{label}.json").read_text()))
        found[label] = "OK" if diff is None else f"MISMATCH {diff}"
    return found


def print_anchors(results: list[dict], trees: dict[str, Path]) -> None:
    print("\n| file | engine | wall s | CPU s | sys s | minor faults | peak MiB | ÷ strict-duckdb wall, CPU, sys "
          "| check |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for r in results:
        anchor = next(a for a in results if a["case"] == r["case"] and a["engine"] == "strict-duckdb")
        ratio = (f"{r['wall'] / anchor['wall']:.2f}, {r['cpu'] / anchor['cpu']:.2f}, "
                 f"{r['sys'] / max(anchor['sys'], 1e-3):.2f}")
        print(f"| {r['file']} | {r['engine']} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['sys']:.2f} | "
              f"{r['minflt'] / 1000:,.0f}k | {r['peak']:.0f} | {ratio} | {r['check']} |")
    print("\ntargets (kfollow ÷ strict-duckdb, wall and CPU): "
          + ", ".join(f"{k} ≤ {v}×" for k, v in ANCHOR_TARGETS.items())
          + f"; peak ≤ {ANCHOR_RSS_MIB} MiB; sys ≤ {ANCHOR_SYS}×")
    for label in trees:
        for r in (r for r in results if r["engine"] == label):
            anchor = next(a for a in results if a["case"] == r["case"] and a["engine"] == "strict-duckdb")
            target = ANCHOR_TARGETS[r["case"]]
            verdicts = [("wall", r["wall"] / anchor["wall"] <= target), ("CPU", r["cpu"] / anchor["cpu"] <= target),
                        ("peak", r["peak"] <= ANCHOR_RSS_MIB), ("sys", r["sys"] <= ANCHOR_SYS * anchor["sys"])]
            print(f"{label} {r['case']}: " + ", ".join(f"{k} {'PASS' if ok else 'FAIL'}" for k, ok in verdicts)
                  + f" (load {' → '.join(r['load'][::max(len(r['load']) - 1, 1)])})")


def anchors(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="kfollow against the strict engine anchors (issue 17)")
    p.add_argument("--anchors", action="store_true")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--only", default="csv-utf8,csv-sv,parquet", help="cases (default %(default)s)")
    p.add_argument("--engines", default="strict-duckdb,strict-polars,duckdb,polars",
                   help="engine rows beside kfollow, the first the reference of the checks (default %(default)s)")
    p.add_argument("--tree", action="append", default=[], metavar="LABEL=PATH",
                   help="another kfollow checkout to run beside this one (e.g. before=/tmp/before)")
    p.add_argument("--kfollow-args", default="--sign ledger --exclude verksamhet=289",
                   help="extra arguments for kfollow variance (default %(default)r)")
    p.add_argument("--json", metavar="FILE")
    a = p.parse_args(argv)
    trees = {"kfollow": ROOT, **{t.split("=", 1)[0]: Path(t.split("=", 1)[1]).resolve() for t in a.tree}}
    engines = [e for e in a.engines.split(",") if e]
    files = {"csv-utf8": lambda: csv_file(10_000_000, "utf8"), "csv-sv": lambda: csv_file(10_000_000, "sv"),
             "parquet": lambda: parquet_file(10_000_000)}
    vers = versions()
    print(vers, file=sys.stderr)
    results = []
    for case in a.only.split(","):
        path = files[case]()
        kind = "parquet" if case == "parquet" else "csv"
        results += anchor_case(case, kind, path, trees, engines, a.rounds, shlex.split(a.kfollow_args))
    print(f"{a.rounds} rounds, medians (peak: the highest); {os.cpu_count()} CPUs; {vers}")
    print_anchors(results, trees)
    if a.json:
        Path(a.json).write_text(json.dumps({"versions": vers, "results": results}, indent=2, ensure_ascii=False)
                                + "\n", encoding="utf-8")
    return 0 if all(r["check"] == "OK" for r in results) else 1


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    exclude = "--no-exclude" not in argv
    if argv[:1] == ["--child"]:
        _, engine, kind, path, out = argv[:5]
        CHILDREN[engine](kind, path, out, exclude)
        return 0
    if "--anchors" in argv:
        return anchors(argv)
    if argv[:1] == ["--make-xlsx"]:
        make_xlsx(argv[1], int(argv[2]), argv[3])
        return 0
    if argv[:1] == ["--make-parquet"]:
        make_parquet(argv[1], argv[2])
        return 0

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default="csv,xlsx,parquet,misc",
                   help="comma separated: csv, xlsx, parquet, misc (default all)")
    p.add_argument("--sizes", type=parse_sizes, default=None,
                   help="row counts to run, e.g. 1M or 100k,1M (default: all of 100k, 1M, 10M)")
    p.add_argument("--dialects", default="utf8,sv", help="CSV dialects (default utf8,sv)")
    p.add_argument("--repeat", type=int, default=3, help="runs per engine; best is kept")
    p.add_argument("--kfollow", default=None, help="kfollow command (default: the venv's)")
    p.add_argument("--kfollow-args", default="--sign ledger",
                   help="extra arguments for kfollow variance (default %(default)r)")
    p.add_argument("--no-exclude", action="store_true",
                   help="no verksamhet=289 filter (for every engine)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    a = p.parse_args(argv)
    only = {s.strip() for s in a.only.split(",") if s.strip()}
    sizes = set(a.sizes) if a.sizes else None
    want = lambda n: sizes is None or n in sizes  # noqa: E731
    kf = shlex.split(a.kfollow) if a.kfollow else kfollow_command()
    kf_extra = shlex.split(a.kfollow_args) + (
        ["--exclude", f"verksamhet={EXCLUDE_PREFIX}"] if exclude else [])
    vers = versions()
    print(f"{vers}\nkfollow: {shlex.join(kf)} variance FILE --config {CONFIG.relative_to(ROOT)}"
          f" --format json {shlex.join(kf_extra)}", file=sys.stderr)
    DATA.mkdir(parents=True, exist_ok=True)

    cases = []  # (name, kind, path-maker, rows, engines)
    if "csv" in only:
        for rows in (1_000_000, 10_000_000):
            for d in a.dialects.split(","):
                if want(rows):
                    cases.append((f"csv-{d}", "csv", lambda r=rows, d=d: csv_file(r, d), rows,
                                  ["kfollow", "duckdb", "polars", "pandas"]))
    if "xlsx" in only:
        for rows in (100_000, 1_000_000):
            if want(rows):
                cases.append(("xlsx", "xlsx", lambda r=rows: xlsx_file(r), rows,
                              ["kfollow", "calamine", "fastexcel"]))
    if "parquet" in only and want(10_000_000):
        cases.append(("parquet", "parquet", lambda: parquet_file(10_000_000), 10_000_000,
                      ["kfollow", "duckdb", "polars", "pandas"]))
    results = []
    t0 = time.perf_counter()
    for name, kind, make, rows, engines in cases:
        path = make()
        results += bench_case(name, kind, path, rows, engines, kf, kf_extra, a.repeat, exclude)
    if "misc" in only:
        results += bench_misc(kf, kf_extra, a.repeat)
    print_table(results, a.repeat)
    print(vers)
    print(f"total {time.perf_counter() - t0:.0f} s")
    if a.json:
        Path(a.json).write_text(json.dumps({"repeat": a.repeat, "versions": vers,
                                            "kfollow": kf + kf_extra, "exclude": exclude,
                                            "results": results}, indent=2,
                                           ensure_ascii=False) + "\n", encoding="utf-8")
    failed = [r for r in results if r.get("pass") is False or (r["error"] and not (
        r["engine"] == "kfollow" and r["kind"] == "parquet"))
              or str(r.get("check", "")).startswith("MISMATCH")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
