"""Copy a workspace's provenance graph from one store to another, verified by counts.

``reverie migrate --to neo4j`` (and back to ``embedded``) uses this. Records go
through the same :meth:`~reverie.store.base.GraphStore.write_file` an ingest
uses, grouped by the source file each event came from, so the target ends up
as if the files had been ingested into it: same ids, same edges, same
recorded sizes and modification times (an ingest after the migration skips
unchanged files). Writes are idempotent, so a migration that stopped half way
can simply be run again.

Events of a file the source store never finished recording (a Bolt ingest
killed mid-file) are left out and reported: the next ingest writes that file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import groupby

from pydantic import BaseModel, ConfigDict, Field

from reverie.models import Event, Outcome, ParsedSession, Session
from reverie.store.base import GraphStore, SourceState, StoreStats

__all__ = ["MigrationReport", "TenantCopy", "copy_tenant", "migrate"]

FLUSH_EVENTS = 5_000
_COMPARED = ("agents", "sessions", "events", "events_by_kind", "tool_errors", "outcomes", "sources")


class TenantCopy(BaseModel):
    """One tenant's copy: counts before (source) and after (target), and any mismatch."""

    model_config = ConfigDict(extra="forbid")

    tenant: str
    source: StoreStats
    target: StoreStats
    skipped_files: list[str] = Field(default_factory=list)
    mismatches: dict[str, tuple[object, object]] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches


class MigrationReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: dict[str, object]
    target: dict[str, object]
    tenants: list[TenantCopy] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tenants)


class _Writer:
    """Per-file buffers of parsed sessions, written in batches through ``write_file``."""

    def __init__(self, source: GraphStore, target: GraphStore, tenant: str) -> None:
        self.source, self.target, self.tenant = source, target, tenant
        self.states: dict[str, SourceState | None] = {}
        self.buffers: dict[str, list[ParsedSession]] = {}
        self.late: list[tuple[str, ParsedSession]] = []
        self.skipped: set[str] = set()

    def state(self, path: str) -> SourceState | None:
        if path not in self.states:
            self.states[path] = self.source.source_state(self.tenant, path)
            if self.states[path] is None:
                self.skipped.add(path)
        return self.states[path]

    def add(self, session: Session, events: list[Event], outcome: Outcome | None) -> None:
        home = session.source_file
        by_file: dict[str, list[Event]] = {}
        for ev in events:
            by_file.setdefault(ev.source.file, []).append(ev)
        if self.state(home) is not None:
            part = ParsedSession(session=session, events=by_file.pop(home, []), outcome=outcome)
            self._buffer(home, part)
        for path, evs in by_file.items():  # events first seen in another file: written last
            if self.state(path) is not None:
                self.late.append((path, ParsedSession(session=session, events=evs)))

    def _buffer(self, path: str, part: ParsedSession) -> None:
        buffer = self.buffers.setdefault(path, [])
        buffer.append(part)
        if sum(len(p.events) for p in buffer) >= FLUSH_EVENTS:
            self._flush(path)

    def _flush(self, path: str) -> None:
        parts = self.buffers.pop(path, [])
        state = self.states[path]
        if parts and state is not None:
            self._write(path, state, parts)

    def finish(self) -> None:
        for path in list(self.buffers):
            self._flush(path)
        for path, group in groupby(sorted(self.late, key=lambda x: x[0]), key=lambda x: x[0]):
            state = self.states[path]
            if state is not None:
                self._write(path, state, [p for _, p in group])

    def _write(self, path: str, state: SourceState, parts: list[ParsedSession]) -> None:
        """One batch of a file; ``events`` says what the target already holds of it."""
        known = self.target.source_state(self.tenant, path)
        update = {"events": known.events if known is not None else 0}
        self.target.write_file(self.tenant, state.model_copy(update=update), parts)


def _by_session(events: Iterable[Event]) -> Iterator[tuple[str, list[Event]]]:
    for session_id, group in groupby(events, key=lambda e: e.session_id):
        yield session_id, list(group)


def copy_tenant(
    source: GraphStore,
    target: GraphStore,
    tenant: str,
    on_session: Callable[[int], None] | None = None,
) -> TenantCopy:
    """Copy one tenant's sessions, events and outcomes; compare the counts after."""
    sessions = {s.id: s for s in source.sessions(tenant)}
    outcomes = source.outcomes(tenant)
    writer = _Writer(source, target, tenant)
    seen: set[str] = set()
    for session_id, events in _by_session(source.events(tenant)):
        if session_id in sessions:
            writer.add(sessions[session_id], events, outcomes.get(session_id))
            seen.add(session_id)
            if on_session:
                on_session(1)
    for session_id, session in sessions.items():  # sessions without events
        if session_id not in seen:
            writer.add(session, [], outcomes.get(session_id))
            if on_session:
                on_session(1)
    writer.finish()
    before, after = source.stats(tenant), target.stats(tenant)
    mismatches = {
        name: (getattr(before, name), getattr(after, name))
        for name in _COMPARED
        if getattr(before, name) != getattr(after, name)
    }
    return TenantCopy(
        tenant=tenant, source=before, target=after,
        skipped_files=sorted(writer.skipped), mismatches=mismatches,
    )


def migrate(
    source: GraphStore,
    target: GraphStore,
    tenants: Iterable[str] | None = None,
    on_session: Callable[[int], None] | None = None,
) -> MigrationReport:
    """Copy every tenant (or the ones given) from ``source`` to ``target``."""
    report = MigrationReport(source=source.info(), target=target.info())
    for tenant in source.tenants() if tenants is None else tenants:
        report.tenants.append(copy_tenant(source, target, tenant, on_session))
    return report
