"""The mining run: detect, sign, recover, store, aggregate, group, score.

:func:`mine` streams a tenant's events once, session by session
(:meth:`~reverie.store.base.GraphStore.failure_candidates`), detects
failures and their recoveries in each session, assigns signatures, replaces
the tenant's previous mining results in the store, and builds the motifs from
the store's aggregates, one motif per root cause where the failures name one
(:mod:`reverie.mine.causes`). It returns the motifs, best first, and stores them.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter

from reverie.mine.causes import signature_causes
from reverie.mine.detect import detect_session
from reverie.mine.fixes import fixes_by_signature
from reverie.mine.motifs import build_motifs
from reverie.mine.recovery import recover_session
from reverie.mine.signature import assign_signatures, signature_source
from reverie.mine.timing import StageClock
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
    sources: dict[str, str] = field(default_factory=dict)
    """Each failure's unmasked signature line by failure id (for :func:`signature_raws`)."""


def mine_events(
    tenant: str,
    events: Iterable[MiningEvent],
    sessions: dict[str, MiningSession],
    progress: Progress | None = None,
    clock: StageClock | None = None,
) -> MiningResult:
    """Detection, recovery and signatures over events ordered by session and ``seq``.

    A session whose events are not contiguous is an error (``ValueError``).
    ``clock`` (:class:`~reverie.mine.timing.StageClock`), if given, is charged
    the CPU time of reading, detection, recovery and signatures.
    """
    lap = clock.lap if clock is not None else _no_lap
    result = MiningResult()
    done: set[str] = set()
    for session_id, group in groupby(events, key=attrgetter("session_id")):
        if session_id in done:
            raise ValueError(f"events of session {session_id} are not contiguous")
        done.add(session_id)
        evs = list(group)
        lap("read")
        info = sessions.get(session_id)
        agent = info.agent if info else "unknown"
        failures = detect_session(tenant, agent, evs, info.failed if info else None)
        lap("detect")
        if failures:
            result.failures.extend(failures)
            result.corrections.extend(recover_session(tenant, evs, failures))
            lap("recover")
        result.events += len(evs)
        result.sessions += 1
        if progress is not None:
            progress(len(evs))
    result.signatures = assign_signatures(tenant, result.failures, sources=result.sources)
    lap("signatures")
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
    clock: StageClock | None = None,
) -> list[Motif]:
    """Mine ``tenant``'s events in ``store``; store and return its motifs, best first.

    Thresholds default to ``settings`` (``[mine]`` in reverie.toml); trust
    weights to ``trust`` (``[trust]``). ``clock``, if given, is charged the CPU
    time of each stage (:data:`reverie.mine.timing.STAGES`).
    """
    with _cyclic_gc_paused():
        return _mine(store, tenant, settings or MineSettings(), trust or TrustSettings(),
                     min_sessions, min_agents, progress, clock)


def _mine(
    store: GraphStore,
    tenant: str,
    settings: MineSettings,
    trust: TrustSettings,
    min_sessions: int | None,
    min_agents: int | None,
    progress: Progress | None,
    clock: StageClock | None,
) -> list[Motif]:
    """:func:`mine` with its defaults resolved."""
    lap = clock.lap if clock is not None else _no_lap
    sessions = {s.id: s for s in store.mining_sessions(tenant)}
    lap("read")
    result = mine_events(tenant, store.failure_candidates(tenant), sessions, progress, clock)
    store.write_mining(tenant, result.failures, result.signatures, result.corrections)
    lap("write")
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
        raws=signature_raws(result.failures, sources=result.sources),
    )
    lap("motifs")
    store.write_motifs(tenant, motifs)
    lap("write")
    return motifs


def _no_lap(stage: str) -> None:
    """The stage clock's lap when no clock is kept."""


def signature_raws(
    failures: Iterable[Failure], limit: int = 50, sources: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Each signature's unmasked failure lines (at most ``limit``), for plain-word facts.

    ``sources`` holds lines already found (failure id -> :func:`signature_source`).
    """
    sources = sources or {}
    out: dict[str, list[str]] = {}
    for failure in failures:
        if failure.signature_id is None:
            continue
        lines = out.setdefault(failure.signature_id, [])
        if len(lines) < limit:
            line = sources.get(failure.id)
            lines.append(signature_source(failure) if line is None else line)
    return out


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a mining run.

    Mining keeps a million small objects alive (failures, the rows of a
    session) and makes no reference cycles of its own, so each full
    collection walks them all for nothing (about 8% of the run at 1M events).
    Reference counting still frees everything; the collector's state is
    restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
