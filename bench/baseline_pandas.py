#!/usr/bin/env python3
"""Baseline for bench_variance.py: plain pandas read_csv + groupby of the same file.

    python bench/baseline_pandas.py FILE

Reads the whole ledger with pd.read_csv (dtype hints: category for the text columns,
float64 for belopp), keeps year 2024 and sums belopp by (konto, version). This is
the least a tool must do to answer the question, with no parsing of Swedish number
formats beyond what read_csv offers, no exact öre arithmetic and no table layout.
The dialect (utf8 or sv, as written by make_ledger.py) is taken from the header line.
Prints a short summary on stdout.
"""
import sys

import pandas as pd

TEXT_COLUMNS = ["version", "konto", "ansvar", "verksamhet", "aktivitet", "projekt", "text"]


def main(path: str) -> int:
    with open(path, "rb") as f:
        head = f.readline()
    if b";" in head:  # make_ledger.py --dialect sv
        opts = dict(sep=";", decimal=",", thousands=" ", encoding="cp1252")
    else:
        opts = dict(sep=",", encoding="utf-8")
    dtype = {c: "category" for c in TEXT_COLUMNS}
    dtype.update({"år": "int16", "period": "int8", "belopp": "float64"})
    df = pd.read_csv(path, dtype=dtype, keep_default_na=False, **opts)
    df = df[df["år"] == 2024]
    res = df.groupby(["konto", "version"], observed=True)["belopp"].sum()
    print(f"{len(df)} rows in 2024, {len(res)} (konto, version) groups, "
          f"total {res.sum():.2f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    sys.exit(main(sys.argv[1]))
