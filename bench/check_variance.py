#!/usr/bin/env python3
"""Check `kfollow variance --format json` output against an independent computation.

    python bench/check_variance.py LEDGER.csv KFOLLOW.json

For ledgers written by make_ledger.py only (amounts always with exactly two decimals).
Computes the SPEC §3 Drift table (default columns, unit tkr, year = latest year with
outcome, through = latest month with outcome in that year) in exact öre with the
built-in Kommun-Bas map plus bench/kfollow.toml ("91" = "Kommunbidrag"), rounds once,
half away from zero, and compares cell by cell. Exit 0 if equal, 1 otherwise.
"""
import json
import sys

import numpy as np
import pandas as pd

MAP = {"3": "Verksamhetens intäkter", "5": "Personalkostnader", "60": "Lokalhyror",
       "46": "Köp av tjänster", "74": "Köp av tjänster", "75": "Köp av tjänster",
       "4": "Övriga kostnader", "6": "Övriga kostnader", "7": "Övriga kostnader",
       "84": "Finansnetto", "85": "Finansnetto", "91": "Kommunbidrag"}
LEAVES = ["Verksamhetens intäkter", "Personalkostnader", "Lokalhyror", "Köp av tjänster",
          "Övriga kostnader", "Kommunbidrag", "Finansnetto"]


def row_of(konto: str) -> str:
    for n in range(len(konto), 0, -1):
        if konto[:n] in MAP:
            return MAP[konto[:n]]
    raise SystemExit(f"unmapped account {konto}")


def expected(path: str) -> tuple[int, int, dict]:
    with open(path, "rb") as f:
        sv = b";" in f.readline()
    df = pd.read_csv(path, sep=";" if sv else ",", encoding="cp1252" if sv else "utf-8",
                     usecols=["år", "period", "version", "konto", "belopp"],
                     dtype={"år": "int16", "period": "int8", "version": "category",
                            "konto": "str", "belopp": "str"},
                     keep_default_na=False)
    ore = df["belopp"].str.replace(r"[ .,]", "", regex=True).astype("int64")
    df["konto"] = df["konto"].astype("category")  # categories stay text ("04711")
    leaf = np.array([LEAVES.index(row_of(k)) for k in df["konto"].cat.categories])
    df["row"] = pd.Categorical.from_codes(leaf[df["konto"].cat.codes], categories=LEAVES)
    df["ore"] = -ore  # report sign
    utf = df[df["version"] == "utfall"]
    year = int(utf["år"].max())
    through = int(utf.loc[utf["år"] == year, "period"].max())

    def col(version, yr, months):
        d = df[(df["version"] == version) & (df["år"] == yr) & (df["period"] <= months)]
        s = d.groupby("row", observed=True)["ore"].sum()
        return {leaf: int(s.get(leaf, 0)) for leaf in LEAVES}

    c = {"budget": col("budget", year, 12), "forecast": col("prognos", year, 12),
         "outcome": col("utfall", year, through),
         "outcome_previous": col("utfall", year - 1, through)}
    c["forecast_deviation"] = {k: c["forecast"][k] - c["budget"][k] for k in LEAVES}
    c["outcome_change"] = {k: c["outcome"][k] - c["outcome_previous"][k] for k in LEAVES}
    table = {}
    for key, v in c.items():
        v = dict(v)
        v["Verksamhetens kostnader"] = sum(v[k] for k in LEAVES[1:5])
        v["Verksamhetens nettokostnader"] = v["Verksamhetens intäkter"] + v["Verksamhetens kostnader"]
        v["Årets resultat"] = v["Verksamhetens nettokostnader"] + v["Kommunbidrag"] + v["Finansnetto"]
        for label, x in v.items():  # öre -> tkr, half away from zero
            q, r = divmod(abs(x), 100_000)
            table.setdefault(label, {})[key] = int(np.sign(x)) * (q + (r >= 50_000))
    return year, through, table


def main(ledger: str, result: str) -> int:
    year, through, exp = expected(ledger)
    with open(result, encoding="utf-8") as f:
        got = json.load(f)
    problems = []
    if (got.get("year"), got.get("through")) != (year, through):
        problems.append(f"year/through {got.get('year')}/{got.get('through')}, "
                        f"expected {year}/{through}")
    seen = set()
    for row in got.get("rows", []):
        label = row["label"]
        seen.add(label)
        if label not in exp:
            problems.append(f"unexpected row {label!r}")
            continue
        for key, want in exp[label].items():
            have = row["values"].get(key)
            if have != want:
                problems.append(f"{label} / {key}: kfollow {have}, expected {want}")
    problems += [f"missing row {label!r}" for label in exp if label not in seen]
    for p in problems:
        print(p)
    print(f"check: {'OK' if not problems else f'{len(problems)} difference(s)'} "
          f"({len(exp)} rows x {len(next(iter(exp.values())))} columns, "
          f"{year} months 1-{through})")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    sys.exit(main(sys.argv[1], sys.argv[2]))
