"""One pass over a tenant's events: what evaluation needs of every session.

:func:`profile_store` streams the tenant's events once, session by session
(:meth:`~reverie.store.base.GraphStore.failure_candidates`), runs the
same detection and recovery as mining (:func:`reverie.mine.detect_session`,
:func:`reverie.mine.recover_session`), and keeps per session:

- its agent, model, start and end, events and model tokens;
- its tool calls, each with the tool and (for shell calls) the program: the
  places where a rule's ``when`` context can occur;
- its failures (:class:`FailureRecord`), each with the call that failed, its
  masked signature text, and its **cost**: from the failing call up to (not
  including) the event that fixed it (a successful retry, another tool's
  successful call, the user's correction), or to the end of the session
  when nothing fixed it: tool calls (steps), model tokens and elapsed time;
- its outcome (success), when the transcript or a report says.

The raw :class:`~reverie.models.Failure` and
:class:`~reverie.models.Correction` records are kept too, so mining can be
re-run on any subset of sessions (the training part of a split) without
reading the store again. Nothing is written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from operator import attrgetter

from reverie.epoch import to_ms
from reverie.mine.detect import detect_session
from reverie.mine.program import command_of, is_shell_tool, program_of
from reverie.mine.recovery import recover_session
from reverie.mine.signature import signature_text
from reverie.models import Correction, Failure, Outcome, Session
from reverie.store.base import GraphStore
from reverie.store.mining_base import MiningEvent

__all__ = ["Call", "Corpus", "FailureRecord", "SessionProfile", "profile_store", "succeeded"]

Progress = Callable[[int], None]


@dataclass(slots=True)
class FailureRecord:
    """One failure as evaluation sees it (``failed_outcome`` failures are not records)."""

    failure: Failure
    call_id: str | None
    error_class: str
    template: str
    steps: int
    tokens: int
    ms: int | None
    recovered: bool
    sig: str | None = None  # signature id when signatures are assigned over all sessions

    @property
    def key(self) -> tuple[str | None, str | None, str]:
        return (self.failure.tool, self.failure.program, self.error_class)

    @property
    def event_id(self) -> str:
        return self.failure.event_id


@dataclass(slots=True, frozen=True)
class Call:
    """A tool call: where a rule's ``when`` context can occur."""

    event_id: str
    tool: str | None
    program: str | None


@dataclass(slots=True)
class SessionProfile:
    """Everything evaluation needs of one session."""

    id: str
    agent: str
    model: str | None
    start: int | None
    end: int | None
    order: str
    success: bool | None = None
    events: int = 0
    tokens: int = 0
    calls: list[Call] = field(default_factory=list)
    failures: list[FailureRecord] = field(default_factory=list)


@dataclass
class Corpus:
    """A tenant's session profiles plus the raw mining records (for re-mining a subset)."""

    tenant: str
    sessions: dict[str, SessionProfile] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    fix_ms: dict[str, int | None] = field(default_factory=dict)  # correction id -> ms to fix
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)  # failure id -> signature text

    def records(self, session_ids: Iterable[str] | None = None) -> Iterable[FailureRecord]:
        ids = self.sessions.keys() if session_ids is None else session_ids
        for sid in ids:
            yield from self.sessions[sid].failures


def succeeded(outcome: Outcome | None) -> bool | None:
    """The session's success: ``success`` if stated, else reward > 0, else unknown."""
    if outcome is None:
        return None
    if outcome.success is not None:
        return outcome.success
    if outcome.reward is not None:
        return outcome.reward > 0
    return None


def _program(call: MiningEvent) -> str | None:
    raw = call.tool_input
    if not raw or not (is_shell_tool(call.tool) or '"c' in raw or raw[:1] != "{"):
        return None
    return _program_of_input(raw)


@lru_cache(maxsize=65_536)
def _program_of_input(raw: str) -> str | None:
    """The program of a call's raw input (cached: the same commands recur all the time)."""
    command = command_of(raw)
    return program_of(command) if command else None


def _failing_call(evs: Sequence[MiningEvent], index: dict[str, int], at: int) -> int | None:
    """Index of the call a failure at ``at`` belongs to: the answered call, else the last one."""
    ev = evs[at]
    if ev.answers_id and ev.answers_id in index:
        return index[ev.answers_id]
    for j in range(at - 1, -1, -1):
        if evs[j].kind == "tool_call":
            return j
    return None


def _cost(evs: Sequence[MiningEvent], start: int, stop: int) -> tuple[int, int, int | None]:
    """Steps, tokens and milliseconds of ``evs[start:stop]`` (``stop`` exclusive)."""
    steps = tokens = 0
    for ev in evs[start:stop]:
        tokens += ev.tokens
        steps += ev.kind == "tool_call"
    first, last = evs[start].ts, evs[min(stop, len(evs) - 1)].ts
    ms = last - first if first is not None and last is not None else None
    return steps, tokens, ms


def _records(
    evs: Sequence[MiningEvent], failures: list[Failure], corrections: list[Correction],
    corpus: Corpus,
) -> list[FailureRecord]:
    index = {ev.id: i for i, ev in enumerate(evs)}
    fixes = {c.failure_id: c for c in corrections}
    out: list[FailureRecord] = []
    for f in failures:
        at = index.get(f.event_id)
        fix = fixes.get(f.id)
        if fix is not None:
            first, then = evs[at].ts if at is not None else None, evs[index[fix.event_id]].ts
            corpus.fix_ms[fix.id] = then - first if first is not None and then is not None else None
        cls, template = corpus.texts[f.id] = signature_text(f)
        if f.kind == "failed_outcome" or at is None:
            continue
        call = _failing_call(evs, index, at)
        start = call if call is not None else at
        stop = index[fix.event_id] if fix is not None else len(evs)
        steps, tokens, ms = _cost(evs, start, max(stop, start + 1))
        out.append(
            FailureRecord(
                failure=f, call_id=evs[call].id if call is not None else None,
                error_class=cls, template=template, steps=steps, tokens=tokens, ms=ms,
                recovered=fix is not None,
            )
        )
    return out


def profile_store(
    store: GraphStore,
    tenant: str,
    sessions: Sequence[Session],
    outcomes: dict[str, Outcome],
    progress: Progress | None = None,
) -> Corpus:
    """Profile every session of ``tenant`` (see the module docstring)."""
    corpus = Corpus(tenant=tenant)
    failed = {
        sid: None if (ok := succeeded(o)) is None else not ok for sid, o in outcomes.items()
    }
    for s in sessions:
        corpus.sessions[s.id] = SessionProfile(
            id=s.id, agent=s.agent, model=s.model, start=to_ms(s.started_at),
            end=to_ms(s.ended_at), order=f"{s.source_file}\0{s.native_id}",
            success=succeeded(outcomes.get(s.id)),
        )
    stream = store.failure_candidates(tenant)
    for session_id, group in groupby(stream, key=attrgetter("session_id")):
        evs = list(group)
        profile = corpus.sessions.get(session_id)
        if profile is None:  # events of a session the session list does not have
            continue
        _profile_session(corpus, profile, evs, failed.get(session_id))
        if progress is not None:
            progress(len(evs))
    return corpus


def _profile_session(
    corpus: Corpus, profile: SessionProfile, evs: list[MiningEvent], failed: bool | None
) -> None:
    profile.events = len(evs)
    stamps = [ev.ts for ev in evs if ev.ts is not None]
    if stamps:
        profile.start = profile.start if profile.start is not None else min(stamps)
        profile.end = profile.end if profile.end is not None else max(stamps)
    for ev in evs:
        profile.tokens += ev.tokens
        if ev.kind == "tool_call":
            profile.calls.append(Call(ev.id, ev.tool, _program(ev)))
    failures = detect_session(corpus.tenant, profile.agent, evs, failed)
    if not failures:
        return
    corrections = recover_session(corpus.tenant, evs, failures)
    corpus.failures.extend(failures)
    corpus.corrections.extend(corrections)
    profile.failures = _records(evs, failures, corrections, corpus)
