"""Before/after a deployment: the metrics of the deployed rules on each side of a date.

Only comparable sessions count: those of an (agent, model) pair that has
sessions both before and after the deployment (a new agent or model after the
date would otherwise pass for an effect of the rules). Sessions without a
start time cannot be placed and are left out. ``window_days`` limits both
sides to that many days next to the date.

Each rate has a Wilson interval per side and a Newcombe interval for the
change (after - before); each mean a seeded percentile bootstrap interval for
the change. A change is ``significant`` when its interval excludes zero. This
is an observational comparison, not a controlled trial: see docs/evaluation.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from reverie.epoch import to_ms
from reverie.evaluate.metrics import SessionScore
from reverie.evaluate.stats import Interval, Rate, mean_difference, rate, rate_difference

__all__ = ["BeforeAfter", "Change", "RuleChange", "Side", "before_after"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Side(_Model):
    """The deployed rules' figures on one side of the date."""

    sessions: int
    first: datetime | None
    last: datetime | None
    targeted_sessions: Rate = Field(description="Sessions with a failure a deployed rule targets.")
    targeted_per_session: float | None
    failures_per_session: float | None
    avoidable_tokens_per_session: float | None
    trigger_precision: Rate
    success: Rate | None


class Change(_Model):
    """One metric before and after, and the change with its interval."""

    metric: str
    before: float | None
    after: float | None
    difference: Interval
    significant: bool


class RuleChange(_Model):
    """One deployed rule: share of sessions its targeted failure hit, before and after."""

    id: str
    before: Rate
    after: Rate
    difference: Interval
    significant: bool


class BeforeAfter(_Model):
    """The comparison (see the module docstring)."""

    deployed_at: datetime
    source: str
    rules: list[str]
    window_days: float | None
    groups: list[list[str | None]] = Field(description="(agent, model) pairs compared.")
    excluded_sessions: int
    before: Side
    after: Side
    changes: list[Change]
    per_rule: list[RuleChange]


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _side(scores: Sequence[SessionScore]) -> Side:
    known = [s.success for s in scores if s.success is not None]
    starts = [s.start for s in scores if s.start is not None]
    return Side(
        sessions=len(scores),
        first=datetime.fromtimestamp(min(starts) / 1000, tz=UTC) if starts else None,
        last=datetime.fromtimestamp(max(starts) / 1000, tz=UTC) if starts else None,
        targeted_sessions=rate(sum(1 for s in scores if s.covered.get("approved")), len(scores)),
        targeted_per_session=_mean([s.covered.get("approved", 0) for s in scores]),
        failures_per_session=_mean([s.failures for s in scores]),
        avoidable_tokens_per_session=_mean([s.cost.get("approved", (0, 0, 0))[1] for s in scores]),
        trigger_precision=rate(sum(sum(s.hits.values()) for s in scores),
                               sum(sum(s.triggers.values()) for s in scores)),
        success=rate(sum(known), len(known)) if known else None,
    )


def _rate_change(metric: str, after: Rate, before: Rate) -> Change:
    d = rate_difference(after.k, after.n, before.k, before.n)
    return Change(metric=metric, before=before.rate, after=after.rate, difference=d,
                  significant=d.excludes_zero)


def _mean_change(metric: str, after: list[float], before: list[float], seed: int) -> Change:
    d = mean_difference(after, before, seed=seed)
    return Change(metric=metric, before=_mean(before), after=_mean(after), difference=d,
                  significant=d.excludes_zero)


def before_after(
    scores: Sequence[SessionScore],
    deployed_at: datetime,
    rules: Sequence[str],
    source: str,
    window_days: float | None = None,
    seed: int = 0,
) -> BeforeAfter:
    """Compare the deployed rules' metrics before and after ``deployed_at``."""
    at = to_ms(deployed_at)
    assert at is not None
    span = int(window_days * 86_400_000) if window_days else None
    dated = [s for s in scores if s.start is not None]
    if span is not None:
        dated = [s for s in dated if at - span <= s.start < at + span]  # type: ignore[operator]
    before = [s for s in dated if s.start < at]  # type: ignore[operator]
    after = [s for s in dated if s.start >= at]  # type: ignore[operator]
    groups = {(s.agent, s.model) for s in before} & {(s.agent, s.model) for s in after}
    before = [s for s in before if (s.agent, s.model) in groups]
    after = [s for s in after if (s.agent, s.model) in groups]
    b, a = _side(before), _side(after)
    changes = [
        _rate_change("targeted_session_rate", a.targeted_sessions, b.targeted_sessions),
        _mean_change("targeted_failures_per_session",
                     [s.covered.get("approved", 0) for s in after],
                     [s.covered.get("approved", 0) for s in before], seed),
        _mean_change("failures_per_session", [s.failures for s in after],
                     [s.failures for s in before], seed),
        _mean_change("avoidable_tokens_per_session",
                     [s.cost.get("approved", (0, 0, 0))[1] for s in after],
                     [s.cost.get("approved", (0, 0, 0))[1] for s in before], seed),
        _rate_change("trigger_precision", a.trigger_precision, b.trigger_precision),
    ]
    if a.success is not None and b.success is not None:
        changes.append(_rate_change("success_rate", a.success, b.success))
    per_rule = []
    for rid in rules:
        rb = rate(sum(1 for s in before if s.targeted[rid]), len(before))
        ra = rate(sum(1 for s in after if s.targeted[rid]), len(after))
        d = rate_difference(ra.k, ra.n, rb.k, rb.n)
        per_rule.append(RuleChange(id=rid, before=rb, after=ra, difference=d,
                                   significant=d.excludes_zero))
    return BeforeAfter(
        deployed_at=deployed_at, source=source, rules=list(rules), window_days=window_days,
        groups=[[agent, model] for agent, model in sorted(groups, key=str)],
        excluded_sessions=len(scores) - len(before) - len(after),
        before=b, after=a, changes=changes, per_rule=per_rule,
    )
