"""Stopping ``reverie watch`` cleanly: a flag that SIGINT/SIGTERM set, and waits it cuts short.

A signal never interrupts a file's ingest or a dream cycle: the handler only
sets the flag (and wakes a waiting loop); the loop looks at it between files
and between stages, so what it started finishes (a file is one store
transaction, a cycle one journaled unit) and then it returns. A second SIGINT
while the first is being honoured is Python's default again
(``KeyboardInterrupt``): the journal of :mod:`reverie.audit.journal` then
completes or discards the cycle at the next command.

For tests only: ``REVERIE_TEST_WATCH_PAUSE=<point>:<file>`` makes the loop, when
it reaches ``point`` (see :data:`PAUSE_POINTS`), create ``file``, say so on
stderr (``paused at POINT``) and wait until
it is told to stop (at most :data:`PAUSE_LIMIT` seconds), so a test can send a
signal at a known point of a cycle. Unset, it does nothing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

__all__ = ["PAUSE_ENV", "PAUSE_POINTS", "StopFlag"]

PAUSE_ENV = "REVERIE_TEST_WATCH_PAUSE"
PAUSE_POINTS = ("ingested-file", "dreaming", "dreamed")
PAUSE_LIMIT = 30.0


class StopFlag:
    """Set once a stop was asked for (a signal, or :meth:`set`); waits end when it is."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None

    def __bool__(self) -> bool:
        return self._event.is_set()

    def set(self, reason: str = "asked") -> None:
        if self.reason is None:
            self.reason = reason
        self._event.set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if a stop was asked for (now or before)."""
        return self._event.wait(max(0.0, seconds))

    @contextmanager
    def on_signals(self) -> Iterator[StopFlag]:
        """Set this flag on SIGINT and SIGTERM while inside; the old handlers after."""
        handled = (signal.SIGINT, signal.SIGTERM)
        old = {sig: signal.getsignal(sig) for sig in handled}

        def handler(signum: int, _frame: FrameType | None) -> None:
            self.set(signal.Signals(signum).name)
            if signum == signal.SIGINT:  # a second Ctrl-C interrupts at once
                signal.signal(signal.SIGINT, signal.default_int_handler)

        for sig in handled:
            signal.signal(sig, handler)
        try:
            yield self
        finally:
            for sig, previous in old.items():
                signal.signal(sig, previous)

    def pause_point(self, point: str) -> None:
        """The test hook of the module docstring: announce ``point`` and wait for a stop."""
        wanted = os.environ.get(PAUSE_ENV)
        if not wanted:
            return
        name, _, ready = wanted.partition(":")
        if name != point or not ready:
            return
        Path(ready).write_text(point, encoding="utf-8")
        print(f"reverie watch: paused at {point} ({PAUSE_ENV})", file=sys.stderr, flush=True)
        self.wait(PAUSE_LIMIT)
