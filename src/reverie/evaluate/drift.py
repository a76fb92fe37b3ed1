"""Drift: the metrics per time window (weekly by default) over the whole history.

Sessions fall into the window of their start time; windows are aligned to
midnight UTC of the first session's day and run back to back to the last
session, empty ones included (their rates are ``None``), so a plot shows time
to scale. Sessions without any timestamp cannot be placed and are counted in
``undated``.

>>> parse_window("7d"), parse_window("2w"), parse_window("12h")
(604800000, 1209600000, 43200000)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import ConfigError
from reverie.evaluate.matching import RuleTarget
from reverie.evaluate.metrics import SessionScore, summarize
from reverie.evaluate.stats import rate

__all__ = ["Drift", "Window", "drift", "parse_window"]

_UNITS = {"h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
DAY = _UNITS["d"]
MAX_WINDOWS = 5000


def parse_window(text: str) -> int:
    """A window like ``7d``, ``2w`` or ``12h`` in milliseconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", text.lower())
    if not match or int(match.group(1)) == 0:
        raise ConfigError(f"--window {text!r}: give a positive number with h, d or w, e.g. 7d")
    return int(match.group(1)) * _UNITS[match.group(2)]


class Window(BaseModel):
    """One window's figures (rates are ``None`` where the window has no data for them)."""

    model_config = ConfigDict(extra="forbid")

    start: datetime
    end: datetime
    sessions: int
    failures_per_session: float | None
    recurring_per_session: float | None
    targeted_session_rate: float | None = Field(
        description="Share of sessions with a failure some candidate rule targets."
    )
    approved_targeted_session_rate: float | None = Field(
        description="Share of sessions with a failure some approved rule targets."
    )
    coverage_approved: float | None
    coverage_candidates: float | None
    trigger_precision: float | None = Field(description="Pooled over the candidate rules.")
    avoidable_tokens_per_session: float | None
    success_rate: float | None
    sessions_with_outcome: int


class Drift(BaseModel):
    """The windows, oldest first, and what could not be placed."""

    model_config = ConfigDict(extra="forbid")

    window_days: float
    rules_source: str
    windows: list[Window] = Field(default_factory=list)
    undated: int = 0


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def _window(start: int, size: int, scores: Sequence[SessionScore],
            targets: Sequence[RuleTarget]) -> Window:
    m = summarize(scores, targets, per_rule=False)
    n = m.sessions
    hits = sum(sum(s.hits.values()) for s in scores)
    triggers = sum(sum(s.triggers.values()) for s in scores)
    targeted = sum(1 for s in scores if s.covered.get("candidates"))
    approved = sum(1 for s in scores if s.covered.get("approved"))
    return Window(
        start=datetime.fromtimestamp(start / 1000, tz=UTC),
        end=datetime.fromtimestamp((start + size) / 1000, tz=UTC),
        sessions=n,
        failures_per_session=_ratio(m.failures, n),
        recurring_per_session=_ratio(m.recurring_failures, n),
        targeted_session_rate=rate(targeted, n).rate,
        approved_targeted_session_rate=rate(approved, n).rate,
        coverage_approved=m.coverage["approved"].rate.rate,
        coverage_candidates=m.coverage["candidates"].rate.rate,
        trigger_precision=rate(hits, triggers).rate,
        avoidable_tokens_per_session=m.avoidable_cost["candidates"].per_session["tokens"],
        success_rate=m.success.rate if m.success else None,
        sessions_with_outcome=m.sessions_with_outcome,
    )


def drift(
    scores: Sequence[SessionScore], targets: Sequence[RuleTarget], window_ms: int,
    rules_source: str,
) -> Drift:
    """The metrics of ``scores`` per window of ``window_ms`` (see the module docstring)."""
    dated = [s for s in scores if s.start is not None]
    out = Drift(window_days=window_ms / DAY, rules_source=rules_source,
                undated=len(scores) - len(dated))
    if not dated:
        return out
    first = min(s.start for s in dated if s.start is not None)
    origin = first - first % DAY
    buckets: dict[int, list[SessionScore]] = {}
    for s in dated:
        assert s.start is not None
        buckets.setdefault((s.start - origin) // window_ms, []).append(s)
    if max(buckets) >= MAX_WINDOWS:
        raise ConfigError(
            f"--window {window_ms / DAY:g} days gives {max(buckets) + 1} windows over this "
            f"history (at most {MAX_WINDOWS}); use a longer window, e.g. --window 4w"
        )
    for i in range(max(buckets) + 1):
        out.windows.append(_window(origin + i * window_ms, window_ms, buckets.get(i, []), targets))
    return out
