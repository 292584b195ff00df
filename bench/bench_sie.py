#!/usr/bin/env python3
"""Benchmark kfollow's SIE 4 reader on a ~1M-line SIE 4E file.

    .venv/bin/python bench/bench_sie.py [--lines 1000000] [--repeat 3] [--seed 1]
        [--ksumma] [--json FILE] [--profile]

A realistic SIE 4E file (CP437, LF) is generated once into bench/.data/ (seeded, reused
when a complete file with the same lines/seed is there), with a sidecar .meta.json that
holds what the generator wrote: #TRANS and counted #PBUDGET lines, öre per account. Then,
as separate child processes, best of --repeat:

* read_sie: python -c "read_sie(FILE)"   (child wall time, and read_sie's own time)
* variance: kfollow variance FILE --config bench/.data/sie_kfollow.toml --format json
* with --ksumma, both again on a copy that opens and closes with #KSUMMA (CRC-32 checked)

Wall time (perf_counter around spawn..reap, so start-up and imports count), CPU time and
peak RSS (ru_maxrss from os.wait4) of each child. Target (issue): the file loads in under
3 s: PASS/FAIL on the best child wall time. Before the timed runs, one untimed child
checks correctness: rows read == #TRANS lines (utfall) and counted #PBUDGET lines
(budget), and Σ öre per account and version equal the generator's.

The parent never imports numpy/pandas/pyarrow and generates the file in a child (on Linux
a child's ru_maxrss starts from the parent's high-water mark).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path

from _harness import DATA, ROOT, cached, kfollow_command, run_child

TARGET_S = 3.0
GEN_VERSION = 2  # bump when the generator's output changes

CONFIG_TEXT = '[accounts]\n"91" = "Kommunbidrag"\n'

# --- the generator ---------------------------------------------------------------------------

RESULT_GROUPS = {  # prefix -> names (with å, ä, ö); every prefix maps in the built-in Kommun-Bas map
    "30": ["Taxor och avgifter", "Försäljning av tjänster", "Avgifter äldreomsorg"],
    "31": ["Hyror och arrenden", "Uthyrning lokaler"],
    "35": ["Driftbidrag från staten", "Bidrag från Försäkringskassan", "EU-bidrag"],
    "36": ["Försäljning av verksamhet", "Övriga ersättningar"],
    "40": ["Inköp av anläggningstillgångar", "Inköp bilar och transportmedel"],
    "41": ["Inköp av underhållsmaterial"],
    "45": ["Lämnade bidrag föreningar", "Bostadssociala bidrag"],
    "46": ["Köp av huvudverksamhet", "Köp av förskoleplatser", "Köp av särskilt boende"],
    "50": ["Löner arbetad tid", "Arvoden förtroendevalda", "Löner månadsavlönade"],
    "51": ["Löner ej arbetad tid", "Sjuklön"],
    "55": ["Kostnadsersättningar", "Bilersättning"],
    "56": ["Sociala avgifter enligt lag", "Avtalsförsäkringar"],
    "57": ["Pensionskostnader", "Avgiftsbestämd ålderspension"],
    "60": ["Lokalhyror", "Internhyra", "Markhyror"],
    "61": ["Städ och renhållning", "Reparation och underhåll fastighet"],
    "62": ["El", "Fjärrvärme", "Vatten och avlopp"],
    "63": ["Leasing av arbetsmaskiner", "Hyra av inventarier"],
    "64": ["Förbrukningsinventarier", "Förbrukningsmaterial"],
    "65": ["Kontorsmaterial och trycksaker"],
    "66": ["Reparationer och underhåll"],
    "68": ["Tele- och IT-kommunikation", "Porto"],
    "69": ["Drivmedel", "Kostnader för transportmedel"],
    "70": ["Resor och transporter"],
    "71": ["Representation"],
    "72": ["Annonser och information"],
    "73": ["Försäkringspremier"],
    "74": ["Konsulttjänster", "IT-tjänster", "Måltider", "Företagshälsovård"],
    "75": ["Inhyrd personal", "Inhyrda sjuksköterskor"],
    "76": ["Medlemsavgifter", "Kurser och konferenser", "Övriga främmande tjänster"],
    "79": ["Avskrivningar maskiner", "Avskrivningar byggnader"],
    "84": ["Ränteintäkter", "Övriga finansiella intäkter"],
    "85": ["Räntekostnader", "Bankkostnader"],
}
BALANCE = {  # the other side of the vouchers
    "1510": "Kundfordringar",
    "1630": "Skattekonto",
    "1790": "Övriga förutbetalda kostnader",
    "1930": "Bank, företagskonto",
    "2440": "Leverantörsskulder",
    "2610": "Utgående moms",
    "2640": "Ingående moms",
    "2710": "Personalens källskatt",
    "2730": "Lagstadgade sociala avgifter",
    "2920": "Upplupna semesterlöner",
    "2990": "Övriga upplupna kostnader",
}
KOMMUNBIDRAG = {"9111": "Kommunbidrag från KF", "9112": "Kommunbidrag, tilläggsanslag"}
SUPPLIERS = [
    "Åkeriet i Örebro AB",
    "Städbolaget Väst",
    "Kontorsvaror Sverige",
    "Fjärrvärme Öst AB",
    "IT-Partner i Göteborg",
    "Måltidsservice Söder",
    "Bemanning & Vård AB",
    "Elbolaget Norr",
]
TEXTS = [
    "Leverantörsfaktura",
    "Kundfaktura",
    "Lönekörning",
    "Internhyra",
    "Periodisering",
    "Rättelse kontering",
    "Avskrivning",
    "Kommunbidrag månad",
    "Omföring mellan ansvar",
    "Utlägg personal",
    "Kursavgift",
    "Måltidsabonnemang",
    "Hyra lokal Vårdcentralen",
]


def _q(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _kr(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    ore = abs(ore)
    return f"{sign}{ore // 100}.{ore % 100:02d}"


def generate(path: Path, target_lines: int, seed: int, pbudget_lines: int = 50_000) -> dict:
    """Write a SIE 4E file of ~target_lines lines; return the meta (what was written)."""
    rng = random.Random(seed)
    # accounts: ~400
    result = {}
    for prefix, names in RESULT_GROUPS.items():
        for k in range(rng.randint(11, 14)):
            code = f"{prefix}{rng.randint(10, 99)}"
            while code in result:
                code = f"{prefix}{rng.randint(10, 99)}"
            result[code] = f"{rng.choice(names)} {k + 1}" if k else names[0]
    result_accounts = sorted(result)
    accounts = {**BALANCE, **result, **KOMMUNBIDRAG}
    ansvar = [f"{rng.choice([1, 2, 3, 4])}{rng.randint(100, 999)}" for _ in range(60)]
    ansvar = sorted(set(ansvar))
    verksamhet = sorted(
        {f"{rng.choice(['289', '410', '425', '510', '610', '720'])}{rng.randint(10, 99)}" for _ in range(80)}
    )
    projekt = [f"P{n}" for n in range(1001, 1041)]

    out: list[str] = []  # lines of the current chunk
    crc_parts: list[str] = []  # per record: label + fields, no spaces/quotes/braces (§3.6)
    totals: dict[str, dict[str, int]] = {"utfall": {}, "budget": {}}
    counts = {"lines": 0, "trans": 0, "ver": 0, "pbudget": 0, "pbudget_counted": 0, "res": 0}
    crc = 0
    bytes_written = 0
    handle = path.open("wb")

    def rec(line: str, *crc_fields: str) -> None:
        out.append(line)
        if crc_fields:
            crc_parts.append("".join(crc_fields))

    def flush(final: bool = False) -> None:
        nonlocal crc, bytes_written
        if out and (final or len(out) >= 200_000):
            data = ("\n".join(out) + "\n").encode("cp437")
            handle.write(data)
            bytes_written += len(data)
            counts["lines"] += len(out)
            crc = zlib.crc32("".join(crc_parts).encode("cp437"), crc)
            out.clear()
            crc_parts.clear()

    # header (#FLAGGA is outside the checksummed region; the --ksumma copy inserts #KSUMMA after it)
    rec("#FLAGGA 0")
    header = [
        ("#PROGRAM", ["Ekonomisystem Kommun", "24.3"]),
        ("#FORMAT", ["PC8"]),
        ("#GEN", ["20250115", "bench"]),
        ("#SIETYP", ["4"]),
        ("#ORGNR", ["212000-0000"]),
        ("#FNAMN", ["Exempelby kommun – Kommunstyrelsen"]),
        ("#RAR", ["0", "20240101", "20241231"]),
        ("#RAR", ["-1", "20230101", "20231231"]),
        ("#KPTYP", ["KBAS"]),
        ("#VALUTA", ["SEK"]),
    ]
    for label, fields in header:
        fields = [f.replace("–", "-") for f in fields]
        shown = " ".join(_q(f) if (" " in f or not f) else f for f in fields)
        rec(f"{label} {shown}", label, *fields)
    for code in sorted(accounts):
        rec(f"#KONTO {code} {_q(accounts[code])}", "#KONTO", code, accounts[code])
    for code in sorted(accounts):
        if code[0] in "3456789":
            kind = "I" if code[0] == "3" or code[:2] in ("84", "91") else "K"
        else:
            kind = "T" if code[0] == "1" else "S"
        rec(f"#KTYP {code} {kind}", "#KTYP", code, kind)
    for number, dim_name in ((1, "Ansvar"), (6, "Projekt"), (20, "Verksamhet")):
        rec(f"#DIM {number} {_q(dim_name)}", "#DIM", str(number), dim_name)
    for a in ansvar:
        rec(
            f'#OBJEKT 1 "{a}" {_q("Ansvar " + a + " – enhet")}'.replace("–", "-"),
            "#OBJEKT",
            "1",
            a,
            f"Ansvar {a} - enhet",
        )
    for p in projekt:
        rec(f'#OBJEKT 6 "{p}" {_q("Projekt " + p + " Skolgård")}', "#OBJEKT", "6", p, f"Projekt {p} Skolgård")
    for v in verksamhet:
        rec(f'#OBJEKT 20 "{v}" {_q("Verksamhet " + v)}', "#OBJEKT", "20", v, f"Verksamhet {v}")
    flush()

    # #PBUDGET (type 3 style): per account and period a total line and object lines that
    # repeat it per ansvar (the object lines are what counts; kfollow keeps the richest
    # object set that sums to the total).
    budget_accounts = result_accounts + sorted(KOMMUNBIDRAG)
    pb_written = 0
    while pb_written < pbudget_lines:
        for code in budget_accounts:
            if pb_written >= pbudget_lines:
                break
            for month in range(1, 13):
                k = rng.randint(3, 8)
                parts = [rng.randint(1, 5000) * 100 for _ in range(k)]  # whole kronor
                if code[0] == "3" or code[:2] in ("84", "91"):
                    parts = [-p for p in parts]
                total = sum(parts)
                ym = f"2024{month:02d}"
                rec(f"#PBUDGET 0 {ym} {code} {{}} {_kr(total)}", "#PBUDGET", "0", ym, code, _kr(total))
                for a, p in zip(rng.sample(ansvar, k), parts, strict=False):
                    rec(f'#PBUDGET 0 {ym} {code} {{1 "{a}"}} {_kr(p)}', "#PBUDGET", "0", ym, code, "1", a, _kr(p))
                totals["budget"][code] = totals["budget"].get(code, 0) + total
                pb_written += k + 1
                counts["pbudget_counted"] += k
            flush()
    counts["pbudget"] = pb_written
    flush()

    # vouchers, then #RES from what they hold
    res_lines = 2 * len(budget_accounts)
    remaining = target_lines - counts["lines"] - len(out) - res_lines
    series_no = {"A": 0, "B": 0, "C": 0, "M": 0}
    cost_accounts = [c for c in result_accounts if c[0] in "4567" or c[:2] == "85"]
    income_accounts = [c for c in result_accounts if c[0] == "3" or c[:2] == "84"]
    while remaining > 0:
        r = rng.random()
        series = "A" if r < 0.45 else "B" if r < 0.60 else "C" if r < 0.70 else "M"
        series_no[series] += 1
        n = rng.randint(3, 8)
        if remaining < n + 3:
            n = max(1, remaining - 3)
        month = rng.randint(1, 12)
        day = rng.randint(1, 28)
        date = f"2024{month:02d}{day:02d}"
        number = str(series_no[series])
        if series == "A":
            vtext = f"Leverantörsfaktura {rng.randint(1000, 99999)} {rng.choice(SUPPLIERS)}"
        elif series == "B":
            vtext = f"Kundfaktura {rng.randint(1000, 99999)}"
        elif series == "C":
            vtext = f"Lönekörning {date[:6]}"
        else:
            vtext = rng.choice(TEXTS)
        rec(f"#VER {series} {number} {date} {_q(vtext)} 20250110", "#VER", series, number, date, vtext, "20250110")
        rec("{")
        # n - 1 result-account lines, the last line balances (a balance account, or Kommunbidrag)
        _amounts, rows = [], []
        for _i in range(n - 1):
            if series == "B" or (series == "M" and rng.random() < 0.2):
                code = rng.choice(income_accounts)
                ore = -rng.randint(100, 2_500_000)
            else:
                code = rng.choice(cost_accounts)
                ore = rng.randint(100, 2_500_000)
            if rng.random() < 0.04:
                ore = -ore  # corrections
            rows.append((code, ore, True))
        if series == "M" and rng.random() < 0.05:
            bal = rng.choice(sorted(KOMMUNBIDRAG))
        else:
            bal = {"A": "2440", "B": "1510", "C": "2710"}.get(series, rng.choice(sorted(BALANCE)))
        rows.append((bal, -sum(o for _, o, _ in rows), bal in KOMMUNBIDRAG))
        for code, ore, with_objects in rows:
            fields: list[str] = []
            if with_objects:
                a = rng.choice(ansvar)
                objs = f'1 "{a}"'
                fields += ["1", a]
                if rng.random() < 0.7:
                    v = rng.choice(verksamhet)
                    objs += f' 20 "{v}"'
                    fields += ["20", v]
                if rng.random() < 0.15:
                    p = rng.choice(projekt)
                    objs += f' 6 "{p}"'
                    fields += ["6", p]
                objs = "{" + objs + "}"
            else:
                objs = "{}"
            t = "" if rng.random() < 0.5 else rng.choice(TEXTS)
            amount = _kr(ore)
            rec(f"   #TRANS {code} {objs} {amount} {date} {_q(t)}", "#TRANS", code, *fields, amount, date, t)
            totals["utfall"][code] = totals["utfall"].get(code, 0) + ore
            counts["trans"] += 1
        rec("}")
        counts["ver"] += 1
        remaining -= n + 3
        flush()

    # #RES: year 0 from the vouchers (matches), year -1 made up: with no vouchers or #PSALDO
    # of its own, year -1's #RES are its outcome (issue 11)
    previous: dict[str, int] = {}
    for code in budget_accounts:
        ore = totals["utfall"].get(code, 0)
        rec(f"#RES 0 {code} {_kr(ore)}", "#RES", "0", code, _kr(ore))
        prev = rng.randint(-5_000_000, 5_000_000) * 100
        rec(f"#RES -1 {code} {_kr(prev)}", "#RES", "-1", code, _kr(prev))
        previous[code] = prev
        counts["res"] += 2
    counts["res_previous"] = len(previous)
    for code, ore in previous.items():
        totals["utfall"][code] = totals["utfall"].get(code, 0) + ore
    flush(final=True)
    handle.close()
    return {
        "version": GEN_VERSION,
        "seed": seed,
        "target_lines": target_lines,
        "pbudget_target": pbudget_lines,
        "bytes": bytes_written,
        "counts": counts,
        "accounts": len(accounts),
        "ksumma_crc": crc,
        "totals": totals,
    }


def ensure_file(lines: int, seed: int, pbudget: int) -> tuple[Path, dict]:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"sie4_{lines}_s{seed}.se"
    meta_path = path.with_suffix(".meta.json")
    want = {"version": GEN_VERSION, "seed": seed, "target_lines": lines, "pbudget_target": pbudget}
    meta = cached(path, want)
    if meta is not None:
        return path, meta
    t0 = time.perf_counter()
    # in a child: keeps this process's RSS high-water mark small
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--_generate",
            str(path),
            "--lines",
            str(lines),
            "--seed",
            str(seed),
            "--pbudget",
            str(pbudget),
        ],
        check=True,
        cwd=ROOT,
    )
    meta = json.loads(meta_path.read_text())
    meta["seconds"] = round(time.perf_counter() - t0, 2)
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    print(
        f"generated {path.relative_to(ROOT)}: {meta['counts']['lines']:,} lines, "
        f"{meta['bytes'] / 2**20:.1f} MiB in {meta['seconds']:.1f} s",
        file=sys.stderr,
    )
    return path, meta


def ensure_ksumma(path: Path, meta: dict) -> Path:
    """The same records with #KSUMMA after #FLAGGA and #KSUMMA <crc> as the last record
    (copied in chunks: this process's RSS stays small)."""
    import shutil

    out = path.with_name(path.stem + "_ksumma.se")
    trailer = f"#KSUMMA {meta['ksumma_crc']}\n".encode()
    if out.exists() and out.stat().st_size == path.stat().st_size + len(b"#KSUMMA\n") + len(trailer):
        return out
    with path.open("rb") as src, out.open("wb") as dst:
        dst.write(src.readline() + b"#KSUMMA\n")  # after #FLAGGA
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.write(trailer)
    return out


# --- children -------------------------------------------------------------------------------

READ_CHILD = r"""
import sys, time, json
from pathlib import Path
t0 = time.perf_counter()
from kfollow.read.sie import read_sie
t1 = time.perf_counter()
sie = read_sie(Path(sys.argv[1]))
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_s": t2 - t1, "rows": len(sie.frame)}))
"""

CHECK_CHILD = r"""
import sys, json
from pathlib import Path
from kfollow.read.sie import read_sie
sie = read_sie(Path(sys.argv[1]))
f = sie.frame
out = {"rows": {}, "totals": {}, "vouchers": sie.vouchers,
       "checks": [c.code for c in sie.checks], "notes": sie.notes}
for version, part in f.groupby("version", observed=True):
    out["rows"][str(version)] = int(len(part))
    sums = part.groupby("account", observed=True)["amount"].sum()
    out["totals"][str(version)] = {str(k): int(v) for k, v in sums.items()}
print(json.dumps(out))
"""

PROFILE_CHILD = r"""
import sys, cProfile, pstats
from pathlib import Path
from kfollow.read.sie import read_sie
import pandas, pyarrow, pyarrow.compute  # imports outside the profile
pr = cProfile.Profile()
pr.enable()
read_sie(Path(sys.argv[1]))
pr.disable()
pstats.Stats(pr, stream=sys.stdout).sort_stats("cumulative").print_stats(int(sys.argv[2]))
"""


def check(path: Path, meta: dict) -> list[str]:
    """Problems found comparing what read_sie read with what the generator wrote."""
    r = run_child([sys.executable, "-c", CHECK_CHILD, str(path)], capture=True)
    if r["rc"] != 0:
        return [f"read_sie failed (exit {r['rc']}): {r['err'].strip()[-2000:]}"]
    got = json.loads(r["out"])
    problems = []
    c = meta["counts"]
    if got["rows"].get("utfall") != c["trans"] + c["res_previous"]:
        problems.append(
            f"utfall rows {got['rows'].get('utfall')} != #TRANS lines {c['trans']} + #RES -1 lines {c['res_previous']}"
        )
    if got["rows"].get("budget") != c["pbudget_counted"]:
        problems.append(f"budget rows {got['rows'].get('budget')} != counted #PBUDGET lines {c['pbudget_counted']}")
    if got["vouchers"] != c["ver"]:
        problems.append(f"vouchers {got['vouchers']} != #VER {c['ver']}")
    for version in ("utfall", "budget"):
        want = {k: v for k, v in meta["totals"][version].items() if v}
        have = {k: v for k, v in got["totals"].get(version, {}).items() if v}
        diff = sorted(k for k in set(want) | set(have) if want.get(k, 0) != have.get(k, 0))
        if diff:
            problems.append(f"{version}: Σ öre differs for {len(diff)} accounts, e.g. {diff[:5]}")
    if got["checks"]:
        problems.append(f"unexpected SIE checks: {sorted(set(got['checks']))}")
    return problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=int, default=1_000_000, help="lines in the file (default %(default)s)")
    p.add_argument("--pbudget", type=int, default=50_000, help="#PBUDGET lines (default %(default)s)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3, help="runs per case; the best is kept")
    p.add_argument("--ksumma", action="store_true", help="also time a copy with #KSUMMA records")
    p.add_argument("--no-check", action="store_true", help="skip the untimed correctness check")
    p.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=25,
        metavar="N",
        help="also print cProfile of read_sie (top N cumulative; default 25)",
    )
    p.add_argument("--kfollow", default=None, help="kfollow command (default: the venv's kfollow script)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--_generate", metavar="OUT", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a._generate:
        out = Path(a._generate)
        meta = generate(out, a.lines, a.seed, a.pbudget)
        out.with_suffix(".meta.json").write_text(json.dumps(meta, indent=1) + "\n")
        return 0
    if a.repeat < 1:
        p.error("--repeat must be >= 1")

    path, meta = ensure_file(a.lines, a.seed, a.pbudget)
    c = meta["counts"]
    print(
        f"{path.relative_to(ROOT)}: {c['lines']:,} lines, {meta['bytes']:,} bytes "
        f"({meta['bytes'] / 2**20:.1f} MiB); {c['ver']:,} #VER, {c['trans']:,} #TRANS, "
        f"{c['pbudget']:,} #PBUDGET ({c['pbudget_counted']:,} counted), {c['res']:,} #RES, "
        f"{meta['accounts']} #KONTO",
        file=sys.stderr,
    )
    config = DATA / "sie_kfollow.toml"
    config.write_text(CONFIG_TEXT)
    files = {"plain": path}
    if a.ksumma:
        files["ksumma"] = ensure_ksumma(path, meta)
    kf = shlex.split(a.kfollow) if a.kfollow else kfollow_command()
    floor = run_child(["true"])["mib"]
    versions = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, importlib.metadata as m\n"
            "print(', '.join([f'python {sys.version.split()[0]}'] + [f'{d} {m.version(d)}' "
            "for d in ('pandas', 'numpy', 'pyarrow')]))",
        ],
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"{versions}; {os.cpu_count()} CPUs; RSS floor {floor:.0f} MiB", file=sys.stderr)

    failed = False
    problems: dict[str, list[str]] = {}
    if not a.no_check:
        for variant, f in files.items():
            problems[variant] = check(f, meta)
            print(
                f"check {variant}: {'OK' if not problems[variant] else '; '.join(problems[variant])}", file=sys.stderr
            )
            failed |= bool(problems[variant])

    cases = []
    for variant, f in files.items():
        cases.append((variant, "read_sie", [sys.executable, "-c", READ_CHILD, str(f)], True))
        cases.append(
            (variant, "variance", [*kf, "variance", str(f), "--config", str(config), "--format", "json"], False)
        )
    runs: dict[tuple[str, str], list[dict]] = {(v, n): [] for v, n, _, _ in cases}
    errors: dict[tuple[str, str], str] = {}
    for i in range(a.repeat):
        for variant, name, cmd, capture in cases:
            if (variant, name) in errors:
                continue
            r = run_child(cmd, capture=capture)
            if r["rc"] != 0:
                errors[(variant, name)] = f"exit {r['rc']}: {r['err'].strip()[-2000:]}"
                failed = True
                print(f"  {variant:<6} {name:<8} run {i + 1}: FAILED {errors[(variant, name)]}", file=sys.stderr)
                continue
            if capture:
                r.update(json.loads(r["out"].strip().splitlines()[-1]))
            runs[(variant, name)].append(r)
            inner = f" (read_sie {r['read_s']:.2f} s, imports {r['import_s']:.2f} s)" if capture else ""
            print(
                f"  {variant:<6} {name:<8} run {i + 1}: {r['wall']:6.2f} s wall, cpu {r['cpu']:6.2f} s, "
                f"{r['mib']:5.0f} MiB{inner}",
                file=sys.stderr,
            )

    results = []
    for variant, name, cmd, capture in cases:
        rs = runs[(variant, name)]
        f = files[variant]
        row = {
            "variant": variant,
            "case": name,
            "file": str(f),
            "lines": c["lines"] + (2 if variant == "ksumma" else 0),
            "bytes": f.stat().st_size,
            "rows": c["trans"] + c["pbudget_counted"],
            "command": shlex.join(cmd) if not capture else f"python -c READ_CHILD {f}",
            "error": errors.get((variant, name)),
            "check": problems.get(variant),
        }
        if rs:
            row.update(
                wall_s=min(r["wall"] for r in rs),
                median_s=statistics.median(r["wall"] for r in rs),
                cpu_s=min(r["cpu"] for r in rs),
                peak_mib=max(r["mib"] for r in rs),
                runs_s=[round(r["wall"], 3) for r in rs],
            )
            if capture:
                row["read_s"] = min(r["read_s"] for r in rs)
                row["import_s"] = min(r["import_s"] for r in rs)
            row["pass"] = row["wall_s"] < TARGET_S
        else:
            row["pass"] = False
        results.append(row)

    print()
    print(
        f"{'variant':<7} {'case':<9} {'lines':>10} {'MiB':>6} {'rows':>9} {'wall s':>7} {'median':>7} "
        f"{'cpu s':>6} {'in-proc':>8} {'peak MiB':>9}  target {TARGET_S:.0f} s"
    )
    for r in results:
        if "wall_s" not in r:
            print(f"{r['variant']:<7} {r['case']:<9} FAILED")
            continue
        inner = f"{r['read_s']:.2f}" if "read_s" in r else "-"
        print(
            f"{r['variant']:<7} {r['case']:<9} {r['lines']:>10,} {r['bytes'] / 2**20:>6.1f} {r['rows']:>9,} "
            f"{r['wall_s']:>7.2f} {r['median_s']:>7.2f} {r['cpu_s']:>6.2f} {inner:>8} {r['peak_mib']:>9.0f}  "
            f"{'PASS' if r['pass'] else 'FAIL'}"
        )
    print(
        f"(wall s: child spawn..reap, best of {a.repeat}, imports included; in-proc: read_sie() alone; "
        f"peak MiB: max ru_maxrss; seed {a.seed}; {os.cpu_count()} CPUs)\n{versions}"
    )
    if not a.no_check:
        print(
            "check: "
            + (
                "rows and Σ öre per account and version equal the generator's"
                if not any(problems.values())
                else "; ".join(f"{v}: {x}" for v, ps in problems.items() for x in ps)
            )
        )
    for (variant, name), e in errors.items():
        print(f"\n{variant} {name} failed: {e}")
    verdict = all(r["pass"] for r in results) and not failed
    print(
        f"\nVERDICT: {'PASS' if verdict else 'FAIL'} (target: every case under {TARGET_S:.0f} s wall"
        f"{', check OK' if not a.no_check else ''})"
    )

    if a.profile:
        r = run_child([sys.executable, "-c", PROFILE_CHILD, str(path), str(a.profile)], capture=True)
        print("\ncProfile of read_sie (imports excluded):\n" + (r["out"] if r["rc"] == 0 else r["err"]))
    if a.json:
        Path(a.json).write_text(
            json.dumps(
                {
                    "repeat": a.repeat,
                    "seed": a.seed,
                    "target_s": TARGET_S,
                    "versions": versions,
                    "cpus": os.cpu_count(),
                    "file": {k: meta[k] for k in ("bytes", "counts", "accounts")},
                    "results": results,
                    "pass": verdict,
                },
                indent=2,
            )
            + "\n"
        )
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
