"""A motif's scores, from the store's aggregates over its signatures.

=====================  ====================================================================
score                  definition
=====================  ====================================================================
``sessions``           distinct sessions with a failure of the motif
``agents``             distinct agent names among them; ``cross_agent`` when >= min_agents
``support``            failures (occurrences) of the motif
``trust_support``      sum over those failures of the trust weight of the evidence event
                       (``[trust]`` in reverie.toml: operator 1.0 ... external 0.1)
``recovery``           ``basis``: the consistent part of the fixes a rule rests on
                       (:mod:`reverie.mine.fixes`: ``command``, ``flag``, ``field``,
                       ``instead``; ``None`` when no part recurs), ``value`` (the
                       program, flag, field or tool), ``named`` (the failure text
                       names that program), ``helper`` (a command run first next to
                       a changed field), ``sessions`` (distinct sessions the part
                       followed a failure in), ``consistent``;
                       ``fix``: the most common full correction with that part
                       (else the most common one), and its ``kind``;
                       ``rate``: share of the motif's failures that this fix followed;
                       ``recovered``: share of failures followed by any fix;
                       ``consistency``: the fix's share among all fixes
``recovery.outcomes``  how the sessions the fix was applied in ended (known, failed outcomes)
``facts``              what a rule must name (:class:`reverie.mine.facts.FixFacts`): the fix
                       class (run first, run instead, flag, argument, other tool, user,
                       environment, none), the observed commands and flags, whether the
                       fix is destructive, and the failure in plain words (placeholders
                       given their value where every failure agrees, else plain words)
``cost``               mean ``steps`` (tool calls) and ``tokens`` until recovered, mean
                       ``seconds`` where times exist, and ``unrecovered`` failures
``first_seen``,        earliest and latest failure time
``last_seen``
``lift``               P(failed outcome | session has the motif) / P(failed outcome), over
                       sessions with a known outcome; ``None`` when no outcomes are known
``score``              log2(1 + sessions) x (1 + log2(agents)) x mean trust weight
                       x (1 + consistency / 2) x max(1, lift)
=====================  ====================================================================
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reverie.mine.facts import Cause, build_facts, plain_error
from reverie.mine.fixes import Basis, FixRow, bare_command, choose_basis, parts, phrase_of
from reverie.models import Motif, Signature
from reverie.store.mining_base import FailureExample, RecoveryStat, SignatureStat

__all__ = ["MotifEvidence", "lift", "score_motif"]


@dataclass
class MotifEvidence:
    """Everything the store knows about one motif candidate."""

    signatures: list[Signature]
    stats: list[SignatureStat]
    sessions: dict[str, tuple[str, bool | None]]  # session id -> (agent, failed)
    recoveries: list[RecoveryStat] = field(default_factory=list)
    examples: list[FailureExample] = field(default_factory=list)
    fixes: list[FixRow] | None = None  # (session, kind, summary) per fixed failure
    raws: list[str] = field(default_factory=list)  # unmasked failure lines (for plain words)
    cause: Cause | None = None  # the root cause its signatures share (reverie.mine.causes)


def lift(
    motif_failed: int, motif_known: int, failed_sessions: int, known_sessions: int
) -> float | None:
    """P(failed | motif) / P(failed); ``None`` without outcomes.

    >>> lift(3, 4, 5, 20)
    3.0
    >>> lift(0, 0, 5, 20) is None
    True
    """
    if motif_known == 0 or known_sessions == 0 or failed_sessions == 0:
        return None
    return round((motif_failed / motif_known) / (failed_sessions / known_sessions), 3)


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _basis(ev: MotifEvidence, fixes: Counter[tuple[str, str]], template: str) -> Basis:
    """The consistent part of the fixes, by sessions; by counts when sessions are unknown."""
    text = "\n".join([template] + [s.template for s in ev.signatures])
    if ev.fixes is not None:
        return choose_basis(ev.fixes, len(ev.sessions), text)
    rows = [(f"{k}:{s}:{i}", k, s) for (k, s), n in fixes.items() for i in range(n)]
    return choose_basis(rows, max(len(ev.sessions), 1), text)


def _holds(key: tuple[str, str], basis: Basis) -> bool:
    """Whether a fix (kind, summary) has the basis part (commands compared without flags)."""
    def norm(kind: str, value: str) -> tuple[str, str]:
        return kind, bare_command(value) if kind in ("command", "invocation") else value

    want = norm(basis.kind or "", basis.value or "")
    return any(norm(k, v) == want for k, v in parts(*key))


def _representative(fixes: Counter[tuple[str, str]], basis: Basis) -> tuple[str, str, int]:
    """The most common full fix holding the basis part (ties: the shortest), and its count."""
    phrase = phrase_of(basis)
    pool = {key: n for key, n in fixes.items() if phrase is None or _holds(key, basis)}
    pool = pool or dict(fixes)
    (kind, summary), top = max(pool.items(), key=lambda kv: (kv[1], -len(kv[0][1]), kv[0]))
    held = sum(n for key, n in fixes.items() if phrase and _holds(key, basis))
    return kind, summary, held or top


def _recovery(
    ev: MotifEvidence, occurrences: int, template: str, base: float = 0.5
) -> tuple[dict, dict]:
    fixes: Counter[tuple[str, str]] = Counter()
    steps = tokens = ms = 0.0
    ms_n = 0
    total = 0
    for r in ev.recoveries:
        fixes[(r.kind, r.summary)] += r.count
        total += r.count
        steps += r.steps * r.count
        tokens += r.tokens * r.count
        if r.ms is not None:
            ms += r.ms * r.count
            ms_n += r.count
    cost: dict = {
        "steps": round(steps / total, 2) if total else None,
        "tokens": round(tokens / total, 1) if total else None,
        "seconds": round(ms / ms_n / 1000, 1) if ms_n else None,
        "unrecovered": max(occurrences - total, 0),
    }
    if not fixes:
        return {"fix": None, "kind": None, "rate": 0.0, "recovered": 0.0,
                "consistency": 0.0, "basis": None, "value": None, "sessions": 0,
                "consistent": False}, cost
    basis = _basis(ev, fixes, template)
    kind, summary, top = _representative(fixes, basis)
    recovery = {
        "fix": summary,
        "kind": kind,
        "rate": round(min(top / occurrences, 1.0), 3) if occurrences else 0.0,
        "recovered": round(min(total / occurrences, 1.0), 3) if occurrences else 0.0,
        "consistency": round(top / total, 3),
        "basis": basis.kind,
        "value": basis.value,
        "named": basis.named,
        "helper": basis.helper,
        "to": basis.to,
        "sessions": basis.sessions if ev.fixes is not None else None,
        "consistent": basis.consistent,
        "alternatives": [
            {"fix": s, "kind": k, "count": c}
            for (k, s), c in fixes.most_common(4) if (k, s) != (kind, summary)
        ][:3],
        "outcomes": {**_fix_outcomes(ev, basis), "base": base},
    }
    return recovery, cost


def _fix_outcomes(ev: MotifEvidence, basis: Basis) -> dict[str, int]:
    """How the sessions the basis fix was applied in ended: known outcomes, failed ones."""
    if ev.fixes is None or basis.kind is None:
        return {"known": 0, "failed": 0}
    fixed = {s for s, kind, summary in ev.fixes if _holds((kind, summary), basis)}
    ends = [ev.sessions[s][1] for s in fixed if s in ev.sessions]
    known = [failed for failed in ends if failed is not None]
    return {"known": len(known), "failed": sum(known)}


def score_motif(
    motif_id: str,
    tenant: str,
    ev: MotifEvidence,
    *,
    min_agents: int,
    failed_sessions: int = 0,
    known_sessions: int = 0,
) -> Motif:
    """One :class:`~reverie.models.Motif` with every score filled in."""
    occurrences = sum(s.occurrences for s in ev.stats)
    trust_support = round(sum(s.trust_support or 0.0 for s in ev.stats), 3)
    agents = sorted({agent for agent, _ in ev.sessions.values()})
    known = [failed for _, failed in ev.sessions.values() if failed is not None]
    motif_lift = lift(sum(known), len(known), failed_sessions, known_sessions)
    main = max(zip(ev.stats, ev.signatures, strict=True), key=lambda p: (p[0].occurrences, p[1].id))
    base = failed_sessions / known_sessions if known_sessions else 0.5
    recovery, cost = _recovery(ev, occurrences, main[1].template, round(base, 3))
    firsts = [s.first_seen for s in ev.stats if s.first_seen is not None]
    lasts = [s.last_seen for s in ev.stats if s.last_seen is not None]
    mean_trust = trust_support / occurrences if occurrences else 0.0
    score = (
        math.log2(1 + len(ev.sessions))
        * (1 + math.log2(max(len(agents), 1)))
        * mean_trust
        * (1 + recovery["consistency"] / 2)
        * max(1.0, motif_lift or 1.0)
    )
    picked: list[FailureExample] = []
    for x in ev.examples:  # one per session first, then the rest
        if x.session_id not in {p.session_id for p in picked}:
            picked.append(x)
    picked += [x for x in ev.examples if x not in picked]
    examples = [
        {"event_id": x.event_id, "failure_id": x.failure_id, "session_id": x.session_id,
         "file": x.file, "line": x.line}
        for x in picked[:3]
    ]
    motif = Motif(
        id=motif_id,
        tenant=tenant,
        tool=main[1].tool,
        program=main[1].program,
        template=main[1].template,
        kind=main[0].kind,
        signature_ids=[s.id for s in ev.signatures],
        sessions=sorted(ev.sessions),
        agents=agents,
        support=occurrences,
        trust_support=trust_support,
        recovery=recovery,
        examples=examples,
        cost=cost,
        first_seen=_time(min(firsts)) if firsts else None,
        last_seen=_time(max(lasts)) if lasts else None,
        lift=motif_lift,
        cross_agent=len(agents) >= min_agents,
        score=round(score, 3),
        cause=ev.cause.model_dump() if ev.cause is not None else None,
    )
    error, example = plain_error(motif.template, ev.raws[:200])
    facts = build_facts(motif, error=error)
    facts.error_example = example
    motif.facts = facts.model_dump(mode="json")
    return motif
