"""A progress line on stderr for long loads: only on a terminal, only after a delay, never on
stdout (which may be a table piped elsewhere)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

# Set by the CLI around a load; readers report into it (None: nobody is watching).
current: Progress | None = None


class Progress:
    """`with Progress(label):` shows 'Reading label … 45 % (3 s)' after `delay` seconds, on a
    terminal, updated twice a second from a thread; readers call `update(fraction)`."""

    def __init__(self, label: str, stream: TextIO | None = None, delay: float = 2.0, tick: float = 0.5) -> None:
        self.label, self.delay, self.tick = label, delay, tick
        self.stream = stream if stream is not None else sys.stderr
        self.fraction: float | None = None
        self.shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self, fraction: float) -> None:
        self.fraction = max(0.0, min(fraction, 1.0))

    def _run(self, start: float) -> None:
        if self._stop.wait(self.delay):
            return
        while not self._stop.is_set():
            elapsed = time.monotonic() - start
            done = f" {self.fraction:.0%}" if self.fraction is not None else ""
            self.stream.write(f"\rReading {self.label} …{done} ({elapsed:.0f} s)\033[K")
            self.stream.flush()
            self.shown = True
            self._stop.wait(self.tick)

    def __enter__(self) -> Progress:
        global current
        current = self
        if self.stream.isatty():
            self._thread = threading.Thread(target=self._run, args=(time.monotonic(),), daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        global current
        current = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.shown:  # leave the terminal line clean for what follows
            self.stream.write("\r\033[K")
            self.stream.flush()
