"""Running ``reverie watch`` as a real process in tests: start it, read its log, stop it.

A thread reads the process's stderr line by line (and copies it to a log
file, for a failure's message); every wait is on a condition over those lines,
woken by each new line and by the end of the stream, and bounded by a deadline.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
REVERIE = (sys.executable, "-m", "reverie")
TICK = re.compile(
    r"tick=(?P<tick>\d+) files=(?P<files>\d+) unchanged=(?P<unchanged>\d+) "
    r"skipped=(?P<skipped>\d+) new_events=(?P<new_events>\d+) dreamed=(?P<dreamed>\S+) "
    r"decisions=(?P<decisions>\S+) "
    r"exports=(?P<exports>\d+) report=(?P<report>\S+) errors=(?P<errors>\d+)$"
)
DEADLINE = 30.0


@dataclass
class Tick:
    tick: int
    files: int
    unchanged: int
    skipped: int
    new_events: int
    dreamed: str
    decisions: str
    exports: int
    report: str
    errors: int


def reverie(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*REVERIE, *args], capture_output=True, text=True, timeout=120,
                          env=env)


class Watch:
    """One ``reverie -w WS watch ARGS`` process and the lines of its stderr."""

    def __init__(self, ws: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log_path = ws.parent / f"watch-{time.monotonic_ns()}.log"
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            [*REVERIE, "-w", str(ws), "watch", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        with self.log_path.open("w") as log:
            for line in self.proc.stderr:
                log.write(line)
                log.flush()
                with self._changed:
                    self._lines.append(line.rstrip("\n"))
                    self._changed.notify_all()
        with self._changed:  # the end of the stream: waits look once more (the process ended)
            self._changed.notify_all()

    def text(self) -> str:
        with self._changed:
            return "\n".join(self._lines)

    def wait_for(self, check: Callable[[], T | None], what: str,
                 timeout: float = DEADLINE) -> T:
        """Wait until ``check`` returns something true; it runs after each new stderr line."""
        found: list[T] = []

        def done() -> bool:
            value = check()
            if value:
                found.append(value)
            return bool(value)

        with self._changed:
            if not self._changed.wait_for(done, timeout):
                raise AssertionError(f"timed out after {timeout}s waiting for {what} in\n"
                                     f"{self.text()}")
        return found[0]

    def paused(self, point: str) -> None:
        """Wait until the test hook (``REVERIE_TEST_WATCH_PAUSE``) says it paused at ``point``."""
        self.wait_for(lambda: f"paused at {point}" in self.text(), f"a pause at {point}")

    def ticks(self) -> list[Tick]:
        found = []
        for line in self.text().splitlines():
            m = TICK.search(line)
            if m:
                d = m.groupdict()
                found.append(Tick(**{k: v if k in ("dreamed", "decisions", "report") else int(v)
                                     for k, v in d.items()}))
        return found

    def tick(self, n: int) -> Tick:
        """Wait for tick ``n`` and return it."""
        def seen() -> Tick | None:
            assert self.proc.poll() is None or len(self.ticks()) >= n, self.text()
            ticks = self.ticks()
            return ticks[n - 1] if len(ticks) >= n else None

        return self.wait_for(seen, f"tick {n}")

    def next_tick_where(
        self, test: Callable[[Tick], bool], what: str, after: int | None = None
    ) -> Tick:
        """The first tick after tick ``after`` (default: the ticks logged now) that passes
        ``test``. Take ``after`` before acting, so a tick that ran meanwhile is not missed."""
        start = len(self.ticks()) if after is None else after

        def seen() -> Tick | None:
            assert self.proc.poll() is None, self.text()
            return next((t for t in self.ticks()[start:] if test(t)), None)

        return self.wait_for(seen, what)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=DEADLINE)
        self._reader.join(timeout=DEADLINE)  # every line it wrote has been read
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)
        self._reader.join(timeout=DEADLINE)
