#!/usr/bin/env python3
"""The README's picture of `kfollow report`: the Drift sheet of the example's chapter, as
LibreOffice prints it.

    SOURCE_DATE_EPOCH=1725148800 .venv/bin/python examples/make_report_png.py

Builds examples/ks-2024.csv's chapter with examples/kfollow.toml (its [report]) as an .xlsx, converts it to PDF with LibreOffice
(`soffice`), and writes the PDF's first page, the Drift sheet, to docs/report-drift.png with
poppler's `pdftoppm`. SOURCE_DATE_EPOCH fixes the "skriven" time of the title block, so that
the picture changes only with the figures. Needs LibreOffice and poppler-utils (README).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
ROOT = EXAMPLES.parent
OUT = ROOT / "docs" / "report-drift.png"
RESOLUTION = 110  # pixels per inch: a landscape A4 page about 1 290 pixels wide

def main() -> int:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        print("needs LibreOffice (soffice) and pdftoppm: apt-get install libreoffice-calc-nogui poppler-utils")
        return 2
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        workbook = work / "chapter.xlsx"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        kfollow = [sys.executable, "-m", "kfollow", "report", str(EXAMPLES / "ks-2024.csv")]
        subprocess.run(
            [*kfollow, "--config", str(EXAMPLES / "kfollow.toml"), "-q", "-o", str(workbook)], check=True, env=env
        )
        profile = f"-env:UserInstallation=file://{work / 'profile'}"
        convert = [soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(work), str(workbook)]
        subprocess.run(convert, check=True, capture_output=True)
        page = ["pdftoppm", "-png", "-r", str(RESOLUTION), "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run([*page, str(work / "chapter.pdf"), str(work / "drift")], check=True)
        OUT.parent.mkdir(exist_ok=True)
        shutil.copyfile(work / "drift.png", OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
