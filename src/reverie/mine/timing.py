"""CPU seconds per mining stage, for benchmarks (``bench/mine.py``).

:class:`StageClock` charges the process CPU time since its last lap to a
stage; :func:`reverie.mine.mine` laps it between its stages when given one.
Laps are per session, not per event, so the clock costs nothing measurable.

>>> clock = StageClock()
>>> clock.lap("read")
>>> sorted(clock.seconds), clock.seconds["read"] >= 0.0
(['read'], True)
"""

from __future__ import annotations

import time

__all__ = ["STAGES", "StageClock"]

STAGES = ("read", "detect", "recover", "signatures", "write", "motifs")
"""The stages :func:`reverie.mine.mine` reports, in the order they run."""


class StageClock:
    """Process CPU seconds charged to named stages (see the module docstring)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.process_time()

    def lap(self, stage: str) -> None:
        """Charge the CPU time since the previous lap (or since creation) to ``stage``."""
        now = time.process_time()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now
