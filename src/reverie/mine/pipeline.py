"""The mining run: detect, sign, recover, store, aggregate, group, score.

:func:`mine` streams a tenant's events once, session by session
(:meth:`~reverie.store.base.GraphStore.failure_candidates`), detects
failures and their recoveries in each session, assigns signatures, replaces
the tenant's previous mining results in the store, and builds the motifs from
the store's aggregates, one motif per root cause where the failures name one
(:mod:`reverie.mine.causes`). It returns the motifs, best first, and stores them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter

from reverie.mine.causes import signature_causes
from reverie.mine.detect import detect_session
from reverie.mine.fixes import fixes_by_signature
from reverie.mine.motifs import build_motifs
from reverie.mine.recovery import recover_session
from reverie.mine.signature import assign_signatures, signature_source
from reverie.models import Correction, Failure, Motif, Signature
from reverie.settings import MineSettings, TrustSettings
from reverie.store.base import GraphStore
from reverie.store.mining_base import MiningEvent, MiningSession

__all__ = ["MiningResult", "mine", "mine_events"]

Progress = Callable[[int], None]


@dataclass
class MiningResult:
    """What one run found before grouping: failures, signatures, corrections."""

    failures: list[Failure] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    events: int = 0
    sessions: int = 0


def mine_events(
    tenant: str,
    events: Iterable[MiningEvent],
    sessions: dict[str, MiningSession],
    progress: Progress | None = None,
) -> MiningResult:
    """Detection, recovery and signatures over events ordered by session and ``seq``."""
    result = MiningResult()
    for session_id, group in groupby(events, key=attrgetter("session_id")):
        evs = list(group)
        info = sessions.get(session_id)
        agent = info.agent if info else "unknown"
        failures = detect_session(tenant, agent, evs, info.failed if info else None)
        if failures:
            result.failures.extend(failures)
            result.corrections.extend(recover_session(tenant, evs, failures))
        result.events += len(evs)
        result.sessions += 1
        if progress is not None:
            progress(len(evs))
    result.signatures = assign_signatures(tenant, result.failures)
    return result


def mine(
    store: GraphStore,
    tenant: str,
    settings: MineSettings | None = None,
    trust: TrustSettings | None = None,
    *,
    min_sessions: int | None = None,
    min_agents: int | None = None,
    progress: Progress | None = None,
) -> list[Motif]:
    """Mine ``tenant``'s events in ``store``; store and return its motifs, best first.

    Thresholds default to ``settings`` (``[mine]`` in reverie.toml); trust
    weights to ``trust`` (``[trust]``).
    """
    settings = settings or MineSettings()
    trust = trust or TrustSettings()
    sessions = {s.id: s for s in store.mining_sessions(tenant)}
    result = mine_events(tenant, _checked(store.failure_candidates(tenant)), sessions, progress)
    store.write_mining(tenant, result.failures, result.signatures, result.corrections)
    known = [s.failed for s in sessions.values() if s.failed is not None]
    motifs = build_motifs(
        store,
        tenant,
        result.signatures,
        min_sessions=min_sessions if min_sessions is not None else settings.min_sessions,
        min_agents=min_agents if min_agents is not None else settings.min_agents,
        trust_weights={t: trust.weight(t) for t in ("operator", "user", "agent", "tool",
                                                    "external")},
        failed_sessions=sum(known),
        known_sessions=len(known),
        fixes=fixes_by_signature(result.failures, result.corrections),
        causes=signature_causes(result.failures),
        raws=signature_raws(result.failures),
    )
    store.write_motifs(tenant, motifs)
    return motifs


def signature_raws(failures: Iterable[Failure], limit: int = 50) -> dict[str, list[str]]:
    """Each signature's unmasked failure lines (at most ``limit``), for plain-word facts."""
    out: dict[str, list[str]] = {}
    for failure in failures:
        if failure.signature_id is None:
            continue
        lines = out.setdefault(failure.signature_id, [])
        if len(lines) < limit:
            lines.append(signature_source(failure))
    return out


def _checked(events: Iterable[MiningEvent]) -> Iterator[MiningEvent]:
    """Pass events through, insisting that each session's events are contiguous."""
    done: set[str] = set()
    current = None
    for ev in events:
        if ev.session_id != current:
            if ev.session_id in done:
                raise ValueError(f"events of session {ev.session_id} are not contiguous")
            if current is not None:
                done.add(current)
            current = ev.session_id
        yield ev
