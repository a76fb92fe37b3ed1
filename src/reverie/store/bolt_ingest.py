"""Writing one file's sessions to the Bolt store: batches of rows, and the runs they settle on.

:class:`EventBatch` turns parsed sessions into one write transaction. It first
asks which of its sessions the server already holds (and which were erased by
``reverie forget``: those are skipped, so a forgotten session stays forgotten),
then which events of the sessions it already holds exist. Only new events are
written, with ``CREATE`` rather than ``MERGE``: the server inserts them without
probing the unique index row by row, and their edges (``IN_SESSION``,
``FROM_SOURCE``, ``NEXT``, ``ANSWERS``) are new too. An event seen in two files
(a session copied or resumed elsewhere) keeps the record and the source of the
first file that held it, as in the embedded store. The batch is idempotent:
running it again writes nothing twice. Two writers racing to create the same
event meet the unique constraint; the loser's transaction is rolled back and
retried (see :func:`is_duplicate_key`), and then finds the event stored.

:class:`RunLookup` answers :class:`~reverie.ingest.provenance.FileRuns`'s
question ("which runs are stored under this native id?") for a chunk of
sessions in one query, instead of one round trip per session.

Rows are plain maps of node properties (:mod:`reverie.store.bolt_codec`) and
links are ``[from, to]`` pairs, so the driver packs no nested structure it need
not. Every statement is Cypher that both Neo4j 5 and ArcadeDB accept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import neo4j
from neo4j.exceptions import Neo4jError

from reverie.ids import make_id
from reverie.ingest.provenance import StoredRun, own_part
from reverie.models import ParsedSession
from reverie.store.base import WriteResult
from reverie.store.bolt_codec import event_props, outcome_props, session_props

__all__ = ["EventBatch", "RunLookup", "is_duplicate_key"]

RUN_CHUNK = 200  # sessions whose stored runs are looked up in one query

_KNOWN_SESSIONS = (
    "UNWIND $ids AS i MATCH (s:Session {id: i}) "
    "RETURN s.id AS id, coalesce(s.attrs STARTS WITH '{\"erased\"', false) AS erased"
)
_KNOWN_EVENTS = "UNWIND $ids AS i MATCH (e:Event {id: i}) RETURN e.id AS id"
_MERGE_AGENTS = "UNWIND $rows AS r MERGE (n:Agent {id: r.id}) SET n += r"
_MERGE_SESSIONS = (
    "UNWIND $rows AS r MERGE (n:Session {id: r.props.id}) ON CREATE SET n += r.props "
    "SET n.model = r.props.model, n.started_at = r.props.started_at, "
    "n.ended_at = r.props.ended_at, n.attrs = r.props.attrs, n.task = coalesce(n.task, r.task) "
    "WITH n, r MATCH (a:Agent {id: r.props.agent_id}) MERGE (n)-[:RUN_BY]->(a)"
)
_MERGE_OUTCOMES = (
    "UNWIND $rows AS r MERGE (n:Outcome {id: r.id}) ON CREATE SET n += r "
    "SET n.success = r.success, n.reward = r.reward, n.detail = r.detail "
    "WITH n, r MATCH (s:Session {id: r.session_id}) MERGE (s)-[:HAS_OUTCOME]->(n)"
)
_CREATE_EVENTS = (
    "MATCH (src:Source {id: $source}) "
    "UNWIND $rows AS r CREATE (n:Event) SET n = r "
    "WITH src, n, r MATCH (s:Session {id: r.session_id}) "
    "CREATE (n)-[:IN_SESSION]->(s), (n)-[:FROM_SOURCE {line: r.line}]->(src) "
    "WITH n, r WHERE r.prev_id IS NOT NULL MATCH (p:Event {id: r.prev_id}) "
    "CREATE (p)-[:NEXT]->(n)"
)
_LINK_ANSWERS = (
    "UNWIND $rows AS r MATCH (a:Event {id: r[0]}) MATCH (b:Event {id: r[1]}) "
    "CREATE (a)-[:ANSWERS]->(b)"
)
_RUN_HEADS = (
    "UNWIND $natives AS native MATCH (s:Session {tenant: $tenant, native_id: native}) "
    "OPTIONAL MATCH (src:Source {id: s.source_id}) "
    "OPTIONAL MATCH (e:Event {tenant: $tenant, session_id: s.id, seq: 0}) "
    "RETURN native, s.id AS id, s.agent AS agent, src.path AS path, e.id AS head"
)
_RUN_EVENT_IDS = (
    "MATCH (e:Event {tenant: $tenant, session_id: $sid}) RETURN e.id AS id ORDER BY e.seq"
)


def is_duplicate_key(exc: Neo4jError) -> bool:
    """Whether a write lost a race to create a node another transaction created first.

    Neo4j and ArcadeDB both answer ``Neo.ClientError.Schema.ConstraintValidationFailed``.
    """
    return exc.code == "Neo.ClientError.Schema.ConstraintValidationFailed"


class EventBatch:
    """One write batch of a file: parsed sessions, turned into rows when the batch is written."""

    def __init__(self, tenant: str, source_id: str) -> None:
        self.tenant = tenant
        self.source_id = source_id
        self.clear()

    def clear(self) -> None:
        self.parsed: list[ParsedSession] = []
        self.size = 0

    def add(self, parsed: ParsedSession) -> None:
        self.parsed.append(parsed)
        self.size += len(parsed.events)

    def flush_into(self, tx: neo4j.ManagedTransaction) -> WriteResult:
        """Write the batch in ``tx``; what it wrote, with how many events were new."""
        known = {
            r["id"]: bool(r["erased"])
            for r in tx.run(_KNOWN_SESSIONS, ids=[p.session.id for p in self.parsed])
        }
        live = [p for p in self.parsed if not known.get(p.session.id)]
        stored: set[str] = set()
        held = [ev.id for p in live if p.session.id in known for ev in p.events]
        if held:
            stored = {r["id"] for r in tx.run(_KNOWN_EVENTS, ids=held)}
        done = WriteResult()
        for p in live:
            done.sessions += 1
            done.events += len(p.events)
            done.outcomes += p.outcome is not None
        rows = _Rows(self.tenant, self.source_id, live, stored)
        run = tx.run
        if rows.agents:
            run(_MERGE_AGENTS, rows=list(rows.agents.values())).consume()
        if rows.sessions:
            run(_MERGE_SESSIONS, rows=rows.sessions).consume()
        if rows.outcomes:
            run(_MERGE_OUTCOMES, rows=rows.outcomes).consume()
        if rows.events:
            summary = run(
                _CREATE_EVENTS, rows=list(rows.events.values()), source=self.source_id
            ).consume()
            done.new_events = summary.counters.nodes_created
        if rows.answers:
            run(_LINK_ANSWERS, rows=rows.answers).consume()
        return done


class _Rows:
    """The parameters of a batch's statements: property maps and ``[from, to]`` pairs."""

    def __init__(
        self, tenant: str, source_id: str, parsed: list[ParsedSession], stored: set[str]
    ) -> None:
        self.agents: dict[str, dict[str, Any]] = {}
        self.sessions: list[dict[str, Any]] = []
        self.outcomes: list[dict[str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {}  # by id: the first of a repeated event
        self.answers: list[list[str]] = []
        for p in parsed:
            s = p.session
            agent_id = make_id("agent", tenant, s.agent)
            self.agents[agent_id] = {"id": agent_id, "tenant": tenant, "name": s.agent}
            props = session_props(tenant, source_id, agent_id, s)
            self.sessions.append({"props": props, "task": s.task})
            if p.outcome is not None:
                self.outcomes.append(outcome_props(tenant, source_id, s.id, p.outcome))
            for ev in p.events:
                if ev.id in stored or ev.id in self.events:
                    continue
                self.events[ev.id] = event_props(tenant, source_id, ev)
                if ev.answers_id:
                    self.answers.append([ev.id, ev.answers_id])


class RunLookup:
    """:class:`~reverie.ingest.provenance.FileRuns`'s lookup, read a chunk of sessions at once.

    Wrap the file's sessions in :meth:`prefetching`: before a chunk of them (about
    one write batch) is settled, one query reads the runs stored under all their
    native ids. Only
    runs that start with the new run's first event have all their ids read.
    """

    def __init__(
        self, rows: Callable[..., list[dict[str, Any]]], tenant: str, events: int
    ) -> None:
        self._rows = rows
        self._tenant = tenant
        self._events = events
        self._heads: dict[str, list[dict[str, Any]]] = {}

    def prefetching(self, sessions: Iterable[ParsedSession]) -> Iterator[ParsedSession]:
        """The sessions, read ahead by at most a batch's worth of events (or RUN_CHUNK)."""
        chunk: list[ParsedSession] = []
        size = 0
        for parsed in sessions:
            chunk.append(parsed)
            size += len(parsed.events)
            if size >= self._events or len(chunk) >= RUN_CHUNK:
                yield from self._read_ahead(chunk)
                chunk, size = [], 0
        yield from self._read_ahead(chunk)

    def _read_ahead(self, chunk: list[ParsedSession]) -> list[ParsedSession]:
        if chunk:
            self._heads.update(self._read_heads({p.session.native_id for p in chunk}))
        return chunk

    def _read_heads(self, natives: set[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {n: [] for n in natives}
        rows = self._rows(
            _RUN_HEADS, "finding runs with a native id", tenant=self._tenant,
            natives=sorted(natives),
        )
        for row in rows:
            found[row["native"]].append(row)
        return found

    def __call__(self, native_id: str, first: str | None) -> list[StoredRun]:
        heads = self._heads.get(native_id)
        if heads is None:
            heads = self._read_heads({native_id})[native_id]
        runs = []
        for row in heads:
            head = row["head"]
            own: tuple[str, ...] = (own_part(head),) if head else ()
            if head and (first is None or own[0] == first):
                ids = self._rows(
                    _RUN_EVENT_IDS, "reading a run's event ids", tenant=self._tenant,
                    sid=row["id"],
                )
                own = tuple(own_part(r["id"]) for r in ids)
            runs.append(StoredRun(row["id"], row["agent"], row["path"] or "", own))
        return runs
