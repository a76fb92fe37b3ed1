"""The evaluation metrics over a set of sessions (see docs/evaluation.md for definitions).

Two steps, so drift and before/after can aggregate any subset cheaply:

1. :func:`score_sessions` matches every failure and tool call of each session
   against the rules once (:class:`~reverie.evaluate.matching.Matcher`) and
   keeps per-session counts (:class:`SessionScore`);
2. :func:`summarize` adds scores up into :class:`Metrics`: per rule the
   precision of its trigger, and for each rule set (``approved``: rules a
   reviewer or the policy approved; ``candidates``: every active rule,
   proposed, approved or quarantined) the coverage of recurring failures,
   the avoidable cost, and success rates of covered vs. uncovered sessions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from reverie.evaluate.matching import Matcher, RuleTarget
from reverie.evaluate.profile import FailureRecord, SessionProfile
from reverie.evaluate.stats import Interval, Rate, rate, rate_difference

__all__ = [
    "RULE_SETS",
    "Cost",
    "Coverage",
    "Metrics",
    "OutcomeSplit",
    "RuleMetrics",
    "SessionScore",
    "in_set",
    "score_sessions",
    "summarize",
]

RULE_SETS = ("approved", "candidates")
ACTIVE = ("proposed", "approved", "quarantined")


def in_set(target: RuleTarget, name: str) -> bool:
    """Whether a rule belongs to the rule set ``name`` (see the module docstring)."""
    if name == "approved":
        return target.approved
    return target.approved or target.status in ACTIVE


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class SessionScore:
    """One session's counts after matching (the unit every metric adds up)."""

    id: str
    agent: str
    model: str | None
    start: int | None
    success: bool | None
    events: int
    failures: int = 0
    recurring: int = 0
    covered: dict[str, int] = field(default_factory=dict)
    cost: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # steps, tokens, ms
    triggers: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    targeted: Counter[str] = field(default_factory=Counter)


def _score(p: SessionProfile, matcher: Matcher, recurring: Callable[[FailureRecord], bool],
           sets: dict[str, frozenset[str]]) -> SessionScore:
    s = SessionScore(id=p.id, agent=p.agent, model=p.model, start=p.start, success=p.success,
                     events=p.events, failures=len(p.failures))
    hit_calls: dict[str, set[str]] = {}
    costed: dict[str, set[str]] = {name: set() for name in sets}
    for rec in p.failures:
        rules = matcher.rules_for(rec)
        if rec.call_id is not None and rules:
            hit_calls.setdefault(rec.call_id, set()).update(rules)
        s.targeted.update(rules)
        if not (rules or recurring(rec)):
            continue
        s.recurring += 1
        for name, members in sets.items():
            if not rules & members:
                continue
            s.covered[name] = s.covered.get(name, 0) + 1
            if rec.event_id in costed[name]:
                continue  # one failing event split into several checks costs once
            costed[name].add(rec.event_id)
            steps, tokens, ms = s.cost.get(name, (0, 0, 0))
            s.cost[name] = (steps + rec.steps, tokens + rec.tokens, ms + (rec.ms or 0))
    for call in p.calls:
        hits = hit_calls.get(call.event_id, set())
        for rid in set(matcher.triggered(call)) | hits:
            s.triggers[rid] += 1
            s.hits[rid] += rid in hits
    return s


def score_sessions(
    profiles: Iterable[SessionProfile],
    matcher: Matcher,
    recurring: Callable[[FailureRecord], bool],
) -> list[SessionScore]:
    """Match every session's failures and calls against the rules (see the docstring)."""
    sets = {
        name: frozenset(t.id for t in matcher.targets if in_set(t, name)) for name in RULE_SETS
    }
    return [_score(p, matcher, recurring, sets) for p in profiles]


class RuleMetrics(_Model):
    """Predictive value of one rule's trigger on the sessions measured."""

    id: str
    title: str
    status: str
    approved: bool
    contexts: list[str]
    triggers: int = Field(description="Calls in the rule's when-context.")
    hits: int = Field(description="Of those, calls followed by a failure the rule targets.")
    precision: Rate
    sessions_triggered: int
    sessions_targeted: int
    targeted_failures: int


class Coverage(_Model):
    """Share of recurring failures that some rule of the set targets."""

    recurring: int
    covered: int
    rate: Rate
    sessions_covered: int


class Cost(_Model):
    """Steps, tokens and time spent on failures the rule set targets (an upper bound)."""

    failures: int
    steps: int
    tokens: int
    seconds: float
    sessions: int
    successful_sessions: int | None
    per_session: dict[str, float | None]
    per_successful_task: dict[str, float | None] | None


class OutcomeSplit(_Model):
    """Success rates of sessions with a covered failure vs. recurring failures none covered."""

    known: int
    covered: Rate
    uncovered: Rate
    no_recurring_failure: Rate
    difference: Interval = Field(description="covered - uncovered success rate (Newcombe).")


class Metrics(_Model):
    """Everything measured over one set of sessions."""

    sessions: int
    events: int
    failures: int
    recurring_failures: int
    sessions_with_outcome: int
    success: Rate | None
    rules: list[RuleMetrics] = Field(default_factory=list)
    coverage: dict[str, Coverage] = Field(default_factory=dict)
    avoidable_cost: dict[str, Cost] = Field(default_factory=dict)
    outcomes: dict[str, OutcomeSplit] = Field(default_factory=dict)


def _context(tool: str | None, program: str | None) -> str:
    return f"{tool} {program}" if program else str(tool)


def _rules(scores: Sequence[SessionScore], targets: Sequence[RuleTarget]) -> list[RuleMetrics]:
    triggers: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    targeted: Counter[str] = Counter()
    trig_sessions: Counter[str] = Counter()
    target_sessions: Counter[str] = Counter()
    for s in scores:
        triggers.update(s.triggers)
        hits.update(s.hits)
        targeted.update(s.targeted)
        trig_sessions.update(s.triggers.keys())
        target_sessions.update(s.targeted.keys())
    return [
        RuleMetrics(
            id=t.id, title=t.title, status=t.status, approved=t.approved,
            contexts=sorted(_context(*c) for c in t.contexts),
            triggers=triggers[t.id], hits=hits[t.id], precision=rate(hits[t.id], triggers[t.id]),
            sessions_triggered=trig_sessions[t.id], sessions_targeted=target_sessions[t.id],
            targeted_failures=targeted[t.id],
        )
        for t in targets
    ]


def _cost(scores: Sequence[SessionScore], name: str) -> Cost:
    steps = tokens = ms = 0
    failures = 0
    for s in scores:
        a, b, c = s.cost.get(name, (0, 0, 0))
        steps, tokens, ms = steps + a, tokens + b, ms + c
        failures += s.covered.get(name, 0)
    known = [s.success for s in scores if s.success is not None]
    ok = sum(known)
    totals = {"steps": float(steps), "tokens": float(tokens), "seconds": ms / 1000}

    def per(n: int) -> dict[str, float | None]:
        return {k: (round(v / n, 3) if n else None) for k, v in totals.items()}

    return Cost(
        failures=failures, steps=steps, tokens=tokens, seconds=round(ms / 1000, 3),
        sessions=len(scores), successful_sessions=ok if known else None,
        per_session=per(len(scores)), per_successful_task=per(ok) if known else None,
    )


def _outcomes(scores: Sequence[SessionScore], name: str) -> OutcomeSplit:
    groups: dict[str, list[bool]] = {"covered": [], "uncovered": [], "clean": []}
    for s in scores:
        if s.success is None:
            continue
        if s.covered.get(name):
            groups["covered"].append(s.success)
        elif s.recurring:
            groups["uncovered"].append(s.success)
        else:
            groups["clean"].append(s.success)
    cov, unc = groups["covered"], groups["uncovered"]
    return OutcomeSplit(
        known=sum(len(g) for g in groups.values()),
        covered=rate(sum(cov), len(cov)),
        uncovered=rate(sum(unc), len(unc)),
        no_recurring_failure=rate(sum(groups["clean"]), len(groups["clean"])),
        difference=rate_difference(sum(cov), len(cov), sum(unc), len(unc)),
    )


def summarize(
    scores: Sequence[SessionScore], targets: Sequence[RuleTarget], per_rule: bool = True
) -> Metrics:
    """Add ``scores`` up into :class:`Metrics` (``per_rule=False`` leaves out the rule list)."""
    known = [s.success for s in scores if s.success is not None]
    return Metrics(
        sessions=len(scores),
        events=sum(s.events for s in scores),
        failures=sum(s.failures for s in scores),
        recurring_failures=sum(s.recurring for s in scores),
        sessions_with_outcome=len(known),
        success=rate(sum(known), len(known)) if known else None,
        rules=_rules(scores, targets) if per_rule else [],
        coverage={
            name: Coverage(
                recurring=sum(s.recurring for s in scores),
                covered=sum(s.covered.get(name, 0) for s in scores),
                rate=rate(sum(s.covered.get(name, 0) for s in scores),
                          sum(s.recurring for s in scores)),
                sessions_covered=sum(1 for s in scores if s.covered.get(name)),
            )
            for name in RULE_SETS
        },
        avoidable_cost={name: _cost(scores, name) for name in RULE_SETS},
        outcomes={name: _outcomes(scores, name) for name in RULE_SETS} if known else {},
    )
