#!/usr/bin/env python3
"""Generate a synthetic Swedish municipal ledger (long format) for benchmarks.

    python bench/make_ledger.py N OUT.csv [--dialect utf8|sv] [--seed S]

Columns (SPEC §1): år,period,version,konto,ansvar,verksamhet,aktivitet,projekt,text,belopp

* ``utf8``: comma separated, UTF-8 (no BOM), decimal point, plain ``-``: ``-1234.50``
* ``sv``:   semicolon separated, cp1252, decimal comma, space as thousands
            separator, plain ``-``: ``-1 234,50``

Amounts are kronor with two decimals in ledger sign (costs +, revenue −).
Versions: utfall 2023 m1–12 and 2024 m1–8; budget and prognos 2023 and 2024 m1–12.
Accounts are Kommun-Bas style codes in classes 3, 4, 5, 6, 7, 84, 85 plus the
Kommunbidrag account 9111 (mapped by ``bench/kfollow.toml``: ``"91" = "Kommunbidrag"``),
so every row maps with the built-in map + that config.

Generation is vectorised (numpy fixed-width byte strings) and written in chunks, so
memory stays bounded (a few hundred MiB) whatever N is. Same N, seed, dialect and
chunk size give a byte-identical file.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HEADER = ("år", "period", "version", "konto", "ansvar", "verksamhet",
          "aktivitet", "projekt", "text", "belopp")
CHUNK_ROWS = 500_000
VOCAB_SEED = 20240831  # vocabularies are fixed; --seed only changes the rows

# (code, relative frequency, median amount in kr, ledger sign)
# sign: +1 cost (debit), -1 revenue (credit)
ACCOUNTS: list[tuple[str, float, float, int]] = [
    # class 3 - Verksamhetens intäkter
    ("3011", 2, 4_000, -1), ("3111", 2, 2_500, -1), ("3121", 1, 1_800, -1),
    ("3411", 3, 1_200, -1), ("3419", 1, 900, -1), ("3511", 2, 6_000, -1),
    ("3512", 1, 3_000, -1), ("3611", 2, 8_000, -1), ("3711", 1, 25_000, -1),
    ("3712", 1, 12_000, -1), ("3811", 1, 15_000, -1), ("3911", 1, 2_000, -1),
    ("3990", 1, 500, -1), ("34111", 2, 1_100, -1), ("35121", 1, 4_500, -1),
    # class 4 - material, köp av tjänster (46)
    ("4010", 4, 2_500, 1), ("4020", 2, 1_500, 1), ("4030", 2, 3_500, 1),
    ("4110", 1, 6_000, 1), ("4210", 1, 4_000, 1), ("4310", 1, 2_000, 1),
    ("4410", 1, 9_000, 1), ("4610", 3, 18_000, 1), ("4620", 2, 12_000, 1),
    ("4630", 2, 30_000, 1), ("46362", 2, 7_500, 1), ("46370", 1, 22_000, 1),
    ("4640", 1, 45_000, 1), ("4710", 1, 3_000, 1), ("4910", 1, 1_000, 1),
    # class 5 - Personalkostnader
    ("5011", 12, 32_000, 1), ("5021", 6, 28_000, 1), ("5051", 3, 4_000, 1),
    ("5111", 6, 2_500, 1), ("5121", 3, 1_500, 1), ("5211", 2, 8_000, 1),
    ("5311", 2, 3_000, 1), ("5411", 8, 10_000, 1), ("5511", 4, 3_500, 1),
    ("5611", 2, 1_200, 1), ("5711", 2, 900, 1), ("5811", 1, 2_000, 1),
    ("5911", 1, 1_500, 1), ("50110", 6, 30_000, 1), ("56110", 2, 1_000, 1),
    ("57110", 1, 800, 1),
    # class 6 - Lokalhyror (60), other costs
    ("6011", 3, 45_000, 1), ("6012", 2, 30_000, 1), ("6021", 1, 12_000, 1),
    ("6031", 1, 8_000, 1), ("6051", 1, 5_000, 1), ("60110", 2, 60_000, 1),
    ("6110", 2, 4_000, 1), ("6210", 2, 2_000, 1), ("6310", 2, 3_000, 1),
    ("6410", 3, 1_500, 1), ("6510", 1, 6_000, 1), ("6610", 1, 2_500, 1),
    ("6910", 1, 1_000, 1),
    # class 7 - köp av tjänster (74, 75), other costs
    ("7010", 2, 5_000, 1), ("7110", 1, 3_000, 1), ("7310", 1, 7_000, 1),
    ("7410", 3, 25_000, 1), ("7451", 1, 40_000, 1), ("7510", 2, 35_000, 1),
    ("7610", 1, 6_000, 1), ("7710", 1, 2_000, 1), ("7990", 1, 1_000, 1),
    ("74110", 1, 15_000, 1),
    # 84 finansiella intäkter, 85 finansiella kostnader
    ("8411", 0.3, 20_000, -1), ("8421", 0.2, 8_000, -1), ("8450", 0.1, 5_000, -1),
    ("8511", 0.3, 30_000, 1), ("8521", 0.2, 10_000, 1), ("8540", 0.1, 4_000, 1),
    # Kommunbidrag (configured: "91" = "Kommunbidrag"), revenue for the nämnd
    ("9111", 1.0, 1_500_000, -1),
]

TEXTS = [
    "Lön månadsavlönade", "Lön timavlönade", "Övertidsersättning", "OB-tillägg",
    "Semesterlöneskuld", "PO-pålägg", "Sjuklön", "Arbetsgivaravgift",
    "Förbrukningsmaterial", "Kontorsmaterial", "Livsmedel", "Läromedel",
    "Hyra lokal Storgatan 5", "Hyra Ängsgården", "Hyra förskolan Björken",
    "Städtjänster", "El och värme", "Vatten och avlopp", "Sophämtning",
    "Köp av plats HVB", "Köp av tjänst Region Skåne", "Konsultarvode",
    "Skolskjuts", "Färdtjänst", "Hemtjänst extern utförare", "Licenser IT",
    "Telefoni", "Porto", "Resor och logi", "Utbildning personal",
    "Försäkringspremie", "Avgift förskola", "Avgift fritidshem",
    "Hyresintäkt bostäder", "Statsbidrag Skolverket", "Ersättning Migrationsverket",
    "Måltidsavgift", "Bygglovsavgift", "Tomtförsäljning Östra Åsen",
    "Exploatering Norra Hamnen", "Gatubelysning", "Snöröjning", "Parkskötsel",
    "Räntekostnad lån", "Ränteintäkt", "Borgensavgift", "Kommunbidrag",
    "Periodisering", "Omföring", "Rättelse", "Leverantörsfaktura",
    "Representation", "Möteskostnader", "Annonsering", "Trycksaker",
    "Reparation fordon", "Drivmedel", "Leasing bilar", "Hjälpmedel",
    "Läkemedel", "Medicinskt material", "Tolkservice", "Försörjningsstöd",
    "Bostadsanpassning", "Föreningsbidrag", "Kulturaktiviteter", "Bibliotek böcker",
    "Simhall entré", "Fritidsgård", "Ungdomens hus",
]
SUPPLIERS = ["", " Åhléns", " Ståhlberg AB", " Göteborgs Energi", " Tieto Evry",
             " Sodexo", " Skånetrafiken", " Atea", " Lyreco"]


def _vocab(seed: int = VOCAB_SEED):
    rng = np.random.default_rng(seed)
    # ~50 ansvar codes (5 digits; a few with a leading zero)
    ansvar = ["01100", "01200", "01300"] + sorted(  # first three: kommunstyrelsen
        {f"{x:05d}" for x in rng.choice(np.arange(1400, 99000, 10), 47, replace=False)})
    # ~100 verksamhet codes (3-5 digits), 10 of them exploatering (289...)
    expl = ["289", "2891", "2892", "28910", "28911", "28920", "28921", "28930", "28940", "28950"]
    others: set[str] = set()
    while len(others) < 90:
        width = rng.choice([3, 4, 5], p=[0.3, 0.5, 0.2])
        code = str(rng.integers(10 ** (width - 1), 10 ** width))
        if not code.startswith("289"):
            others.add(code)
    verksamhet = expl + sorted(others)
    # each ansvar uses 6 verksamheter, every code is used by some ansvar; the first
    # three (kommunstyrelsen) ansvar hold the exploatering codes
    av = rng.integers(len(expl), len(verksamhet), size=(len(ansvar), 6))
    free = rng.permutation(np.arange(3 * 6, av.size))[: len(verksamhet) - len(expl)]
    av.flat[free] = np.arange(len(expl), len(verksamhet))
    av[0, :4] = [0, 1, 2, 3]
    av[1, :4] = [4, 5, 6, 7]
    av[2, :2] = [8, 9]
    aktivitet = [""] * 12 + sorted({f"{x:04d}" for x in rng.integers(0, 9999, 30)})
    projekt = [""] * 120 + sorted({str(x) for x in rng.integers(10000, 99999, 30)}
                                  | {"91001", "91002", "94301", "94410", "0712"})
    texts = [t + s for t in TEXTS for s in SUPPLIERS if rng.random() < 0.55 or not s]
    return ansvar, verksamhet, av, aktivitet, projekt, texts


def _enc(strings, encoding: str, suffix: str) -> np.ndarray:
    return np.array([(s + suffix).encode(encoding) for s in strings])


class Generator:
    def __init__(self, dialect: str = "utf8", seed: int = 1):
        if dialect not in ("utf8", "sv"):
            raise ValueError(f"unknown dialect {dialect!r}")
        self.dialect = dialect
        self.sep = "," if dialect == "utf8" else ";"
        self.encoding = "utf-8" if dialect == "utf8" else "cp1252"
        self.rng = np.random.default_rng(seed)
        sep, enc = self.sep, self.encoding

        ansvar, verksamhet, av, aktivitet, projekt, texts = _vocab()
        self.ansvar = _enc(ansvar, enc, sep)
        self.verksamhet = _enc(verksamhet, enc, sep)
        self.ansvar_verk = av
        self.aktivitet = _enc(aktivitet, enc, sep)
        self.projekt = _enc(projekt, enc, sep)
        self.texts = _enc(texts, enc, sep)
        self.plan_texts = _enc(["", "Budget", "Prognos", "Omfördelning", "Ram"], enc, sep)

        codes, freq, median, sign = zip(*ACCOUNTS)
        self.konto = _enc(codes, enc, sep)
        freq = np.asarray(freq, float)
        self.konto_p = freq / freq.sum()
        self.konto_logmed = np.log(np.asarray(median, float))
        self.konto_sign = np.asarray(sign, np.int64)

        # (år, period, version) combinations and weights: utfall rows dominate
        combos, weights, is_plan = [], [], []
        for year in (2023, 2024):
            for version, months, w in (("utfall", 12 if year == 2023 else 8, 4.0),
                                       ("budget", 12, 1.0), ("prognos", 12, 1.0)):
                for m in range(1, months + 1):
                    combos.append(f"{year}{sep}{m}{sep}{version}{sep}")
                    weights.append(w)
                    is_plan.append(version != "utfall")
        self.combo = _enc(combos, enc, "")
        w = np.asarray(weights)
        self.combo_p = w / w.sum()
        self.combo_plan = np.asarray(is_plan)

        dec = "." if dialect == "utf8" else ","
        self.ore = _enc([f"{dec}{i:02d}\n" for i in range(100)], enc, "")
        self.pad3 = _enc([f"{i:03d}" for i in range(1000)], enc, "")

    def header(self) -> bytes:
        return (self.sep.join(HEADER) + "\n").encode(self.encoding)

    def _kronor(self, k: np.ndarray) -> np.ndarray:
        if self.dialect == "utf8":
            return k.astype("S20")
        # space thousands separator: 1 234 567
        out = np.empty(k.shape, dtype="S24")
        small = k < 1000
        out[small] = k[small].astype("S3")
        mid = (k >= 1000) & (k < 1_000_000)
        km = k[mid]
        out[mid] = np.strings.add(np.strings.add((km // 1000).astype("S3"), b" "),
                                  self.pad3[km % 1000])
        big = k >= 1_000_000
        kb = k[big]
        out[big] = np.strings.add(
            np.strings.add(np.strings.add((kb // 1_000_000).astype("S12"), b" "),
                           np.strings.add(self.pad3[(kb // 1000) % 1000], b" ")),
            self.pad3[kb % 1000])
        return out

    def chunk(self, n: int) -> bytes:
        rng = self.rng
        combo = rng.choice(len(self.combo), size=n, p=self.combo_p)
        plan = self.combo_plan[combo]
        konto = rng.choice(len(self.konto), size=n, p=self.konto_p)
        ans = rng.integers(0, len(self.ansvar), n)
        verk = self.ansvar_verk[ans, rng.integers(0, self.ansvar_verk.shape[1], n)]
        akt = rng.integers(0, len(self.aktivitet), n)
        proj = rng.integers(0, len(self.projekt), n)
        txt = np.where(plan, 0, rng.integers(0, len(self.texts), n))

        # amounts in öre: lognormal around the account's median; plan rows are ~4x larger
        # (fewer, coarser rows) and in whole kronor; ~4 % of outcome rows are corrections with flipped sign
        logm = self.konto_logmed[konto] + np.where(plan, np.log(4.0), 0.0)
        kr = np.exp(rng.normal(logm, 1.1))
        ore = np.minimum(np.round(kr * 100).astype(np.int64), 99_999_999_999)
        ore = np.where(plan, (ore // 100) * 100, ore)
        ore = np.maximum(ore, 1)
        flip = (~plan) & (rng.random(n) < 0.04)
        sign = self.konto_sign[konto] * np.where(flip, -1, 1)
        neg = sign < 0
        k = ore // 100
        o = ore % 100

        add = np.strings.add
        line = add(self.combo[combo], self.konto[konto])
        line = add(line, self.ansvar[ans])
        line = add(line, self.verksamhet[verk])
        line = add(line, self.aktivitet[akt])
        line = add(line, self.projekt[proj])
        line = add(line, np.where(plan, self.plan_texts[proj % len(self.plan_texts)],
                                  self.texts[txt]))
        amount = add(np.where(neg, b"-", b""), self._kronor(k))
        line = add(line, add(amount, self.ore[o]))
        return line.tobytes().replace(b"\0", b"")


def generate(n: int, out: str, dialect: str = "utf8", seed: int = 1,
             chunk_rows: int = CHUNK_ROWS, quiet: bool = False) -> None:
    """Write N rows to OUT (atomically: OUT.tmp then rename)."""
    gen = Generator(dialect, seed)
    tmp = out + ".tmp"
    t0 = time.perf_counter()
    with open(tmp, "wb", buffering=1 << 20) as f:
        f.write(gen.header())
        done = 0
        while done < n:
            m = min(chunk_rows, n - done)
            f.write(gen.chunk(m))
            done += m
    os.replace(tmp, out)
    if not quiet:
        size = os.path.getsize(out)
        print(f"wrote {n:,} rows to {out} ({size / 2**20:,.1f} MiB, {dialect}) "
              f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("rows", type=lambda s: int(s.replace("_", "")), help="number of data rows")
    p.add_argument("out", help="output CSV file")
    p.add_argument("--dialect", choices=["utf8", "sv"], default="utf8")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.rows < 0:
        p.error("rows must be >= 0")
    generate(a.rows, a.out, a.dialect, a.seed, a.chunk_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
