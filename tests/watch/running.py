"""Running ``reverie watch`` as a real process in tests: start it, read its log, stop it.

Every wait is on a condition (a log line, a file), bounded by a deadline.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
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


def wait_for(check: Callable[[], T | None], what: str, timeout: float = DEADLINE) -> T:
    """Poll ``check`` until it returns something true; fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


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
    """One ``reverie -w WS watch ARGS`` process, its stderr in a file."""

    def __init__(self, ws: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log_path = ws.parent / f"watch-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [*REVERIE, "-w", str(ws), "watch", *args],
            stdout=subprocess.DEVNULL, stderr=self._log, env={**os.environ, **(env or {})},
        )

    def text(self) -> str:
        return self.log_path.read_text()

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

        return wait_for(seen, f"tick {n} in\n{self.log_path}")

    def next_tick_where(
        self, test: Callable[[Tick], bool], what: str, after: int | None = None
    ) -> Tick:
        """The first tick after tick ``after`` (default: the ticks logged now) that passes
        ``test``. Take ``after`` before acting, so a tick that ran meanwhile is not missed."""
        start = len(self.ticks()) if after is None else after

        def seen() -> Tick | None:
            assert self.proc.poll() is None, self.text()
            return next((t for t in self.ticks()[start:] if test(t)), None)

        return wait_for(seen, what)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=DEADLINE)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)
        self._log.close()
