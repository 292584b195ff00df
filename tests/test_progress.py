"""The progress line: on a terminal only, after the delay, cleared at the end; never on stdout."""

from __future__ import annotations

import io
import time

from conftest import EXAMPLES, run

from kfollow.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_after_the_delay_and_clears_its_line() -> None:
    stream = Terminal()
    with Progress("ledger.csv", stream=stream, delay=0.0, tick=0.01) as progress:
        progress.update(0.45)
        time.sleep(0.05)
    text = stream.getvalue()
    assert "\rReading ledger.csv … 45% (0 s)\x1b[K" in text
    assert text.endswith("\r\x1b[K")


def test_no_progress_before_the_delay_or_off_a_terminal() -> None:
    quick, piped = Terminal(), io.StringIO()
    with Progress("ledger.csv", stream=quick, delay=10.0):
        pass
    with Progress("ledger.csv", stream=piped, delay=0.0, tick=0.01):
        time.sleep(0.03)
    assert quick.getvalue() == "" and piped.getvalue() == ""


def test_quiet_is_accepted_and_stdout_is_only_the_table() -> None:
    loud = run(
        "variance", EXAMPLES / "ks-2024.csv", "--config", EXAMPLES / "kfollow.toml", "--exclude", "verksamhet=289"
    )
    quiet = run(
        "variance", EXAMPLES / "ks-2024.csv", "--config", EXAMPLES / "kfollow.toml", "--exclude", "verksamhet=289", "-q"
    )
    caption = "Drift januari–augusti 2024, exkl. verksamhet 289\n\n"
    assert loud.stdout == quiet.stdout and loud.stdout.startswith(caption + "Belopp i tkr")
