"""Every real SIE file of ../shared/sie-corpus/ (63 files from 28 programs) gives the file's own
outcome for every year it has, or is refused with one clean error where the file is defective,
by the corpus' own independent checker (check.py, no kfollow code). The files are not ours to
copy: without ../shared the test is skipped."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "sie-corpus"
pytestmark = pytest.mark.skipif(not (CORPUS / "check.py").is_file(), reason="../shared/sie-corpus not present")


def test_the_corpus_checker_passes_every_file() -> None:
    kfollow = f"{shlex.quote(sys.executable)} -m kfollow"
    result = subprocess.run(
        [sys.executable, CORPUS / "check.py", kfollow], capture_output=True, text=True, timeout=600, check=False
    )
    lines = result.stdout.strip().splitlines()
    failed = [line for line in lines if re.search(r": (DISAGREE|REFUSED-SOUND|CRASH)\b", line)]
    assert not failed, "\n".join(failed)
    found = re.fullmatch(r"(\d+)/(\d+) files: .*", lines[-1])
    assert found and found[1] == found[2] and int(found[2]) >= 63, lines[-1]
    assert result.returncode == 0, result.stderr
