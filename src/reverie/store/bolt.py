"""The Bolt store: Reverie's provenance graph on Neo4j 5 (or ArcadeDB) over Bolt.

Selected by ``[store] kind = "neo4j"`` with ``uri`` (and ``database``) in
``reverie.toml``; the user and password come from ``REVERIE_NEO4J_USER`` and
``REVERIE_NEO4J_PASSWORD`` when the store is built, never from the file. The
schema (``graph/neo4j.cypher``) is applied idempotently on connect.

Writes are batched ``UNWIND $rows AS r ...`` statements in managed
transactions (:mod:`reverie.store.bolt_ingest`): sessions, agents and outcomes
are merged; events the server does not hold yet are created with their edges.
A lookup by a missing id is never sent: ArcadeDB answers a ``{id: null}``
lookup with a label scan. Every batch is idempotent, so a batch that failed on
a connection error, a transient server error or a lost race to create the same
event is retried with backoff until ``retry_seconds`` run out, then
:class:`~reverie.errors.StoreError`.

Reads of every event (:meth:`events`, mining) go a chunk of sessions at a
time and come back as one Bolt record per session, not one per event.

One file is several transactions here (the embedded store uses one): the
``Source`` node's size and modification time, which :meth:`source_state`
reports and ingest uses to skip unchanged files, are written *last*. A server
killed mid-file therefore leaves the file unrecorded, and the next ingest
writes it again; the ``MERGE`` batches make that a no-op for what was already
there. Nothing reported as ingested is lost.

All reads are Cypher that both Neo4j 5 and ArcadeDB accept.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from operator import itemgetter
from typing import Any, TypeVar

import neo4j
import networkx as nx
from neo4j.exceptions import (
    AuthError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from reverie.errors import ConfigError, StoreError
from reverie.ids import make_id
from reverie.ingest.provenance import FileRuns
from reverie.models import Event, EventKind, Outcome, ParsedSession, Session
from reverie.resources import data_dir
from reverie.settings import Settings
from reverie.store.base import SourceState, StoreStats, WriteResult
from reverie.store.bolt_codec import event_from, outcome_from, outcome_props, session_from
from reverie.store.bolt_erase import BoltErase
from reverie.store.bolt_ingest import EventBatch, RunLookup, is_duplicate_key
from reverie.store.bolt_mining import BoltMining
from reverie.store.bolt_usage import BoltUsage

__all__ = ["BoltStore", "schema_statements"]

T = TypeVar("T")
_RETRYABLE = (ServiceUnavailable, SessionExpired, TransientError, ConnectionError, OSError)
BATCH = 2_000
SESSION_CHUNK = 200

def schema_statements() -> list[str]:
    """The statements of ``graph/neo4j.cypher``, comments removed."""
    text = (data_dir("graph") / "neo4j.cypher").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("//")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


class BoltStore(BoltMining, BoltErase, BoltUsage):
    """A :class:`~reverie.store.base.GraphStore` on a Bolt server (Neo4j 5, ArcadeDB)."""

    def __init__(
        self,
        uri: str,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        *,
        retry_seconds: float = 60.0,
        batch_size: int = BATCH,
        connection_timeout: float = 10.0,
    ) -> None:
        self.uri = uri
        self.database = database
        self.retry_seconds = retry_seconds
        self.batch_size = batch_size
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=auth,
                connection_timeout=connection_timeout,
                max_transaction_retry_time=0,
                connection_acquisition_timeout=connection_timeout,
            )
        except (ValueError, DriverError) as exc:
            raise ConfigError(f"[store] uri = {uri!r} is not a usable Bolt URI: {exc}") from exc
        try:
            for statement in schema_statements():

                def apply(tx: neo4j.ManagedTransaction, q: str = statement) -> None:
                    tx.run(q).consume()

                self._write(apply, "applying the schema")
        except BaseException:
            self._driver.close()
            raise

    @classmethod
    def from_settings(cls, settings: Settings) -> BoltStore:
        """Build from ``[store]`` (uri, database) and ``REVERIE_NEO4J_USER``/``_PASSWORD``."""
        if not settings.store.uri:
            raise ConfigError(
                "[store] kind = 'neo4j' needs [store] uri (e.g. uri = 'neo4j://host:7687') "
                "in reverie.toml"
            )
        if settings.store.database_per_tenant:
            raise ConfigError(
                "[store] database_per_tenant is not supported by the neo4j store yet; "
                "tenants share one database, separated by the `tenant` property"
            )
        password = os.environ.get("REVERIE_NEO4J_PASSWORD")
        auth = None
        if password is not None:
            auth = (os.environ.get("REVERIE_NEO4J_USER", "neo4j"), password)
        return cls(settings.store.uri, auth, settings.store.database)

    def close(self) -> None:
        self._driver.close()

    def info(self) -> dict[str, Any]:
        return {"kind": "neo4j", "uri": self.uri, "database": self.database}

    # -- plumbing --------------------------------------------------------------
    def _write(self, work: Callable[[neo4j.ManagedTransaction], T], what: str) -> T:
        """Run an idempotent write; retry connection and transient errors with backoff."""
        return self._retry(lambda session: session.execute_write(work), what)

    def _read(self, work: Callable[[neo4j.ManagedTransaction], T], what: str) -> T:
        return self._retry(lambda session: session.execute_read(work), what)

    def _retry(self, call: Callable[[neo4j.Session], T], what: str) -> T:
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.1
        while True:
            try:
                with self._driver.session(database=self.database) as session:
                    return call(session)
            except AuthError as exc:
                raise StoreError(
                    f"{self.uri}: authentication failed ({exc.message}); set "
                    "REVERIE_NEO4J_USER and REVERIE_NEO4J_PASSWORD"
                ) from exc
            except _RETRYABLE as exc:
                if time.monotonic() + delay > deadline:
                    raise StoreError(
                        f"{what} on {self.uri} failed after retrying for "
                        f"{self.retry_seconds:.0f}s: {exc}"
                    ) from exc
            except Neo4jError as exc:
                if not is_duplicate_key(exc) or time.monotonic() + delay > deadline:
                    raise StoreError(f"{what} on {self.uri} failed: {exc}") from exc
            except DriverError as exc:
                raise StoreError(f"{what} on {self.uri} failed: {exc}") from exc
            time.sleep(delay)  # backoff before retrying an idempotent batch
            delay = min(delay * 2, 5.0)

    def _rows(self, query: str, what: str, **params: Any) -> list[dict[str, Any]]:
        return self._read(lambda tx: [r.data() for r in tx.run(query, **params)], what)

    def _session_ids(self, tenant: str) -> list[str]:
        rows = self._rows(
            "MATCH (s:Session {tenant: $tenant}) RETURN s.id AS id", "listing sessions",
            tenant=tenant,
        )
        return sorted(r["id"] for r in rows)

    def _per_session(
        self,
        tenant: str,
        returns: str,
        what: str,
        where: str = "",
        session_ids: Iterable[str] | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """``returns`` of each event in (session, ``seq``) order, a chunk of sessions per query.

        One ``ORDER BY`` over millions of events has the server sort them all in
        memory (ArcadeDB refuses past its query heap budget); each chunk's events
        are reached from their sessions through ``IN_SESSION`` and come back as
        one record per session (``collect``), sorted by ``seq`` here: a few
        hundred Bolt records per chunk instead of one per event.
        """
        ids = sorted(set(session_ids)) if session_ids is not None else self._session_ids(tenant)
        query = (
            "UNWIND $chunk AS sid MATCH (:Session {id: sid})<-[:IN_SESSION]-(e:Event) "
            f"WHERE e.tenant = $tenant{' AND ' + where if where else ''} "
            f"RETURN sid, collect([e.seq, {returns}]) AS rows"
        )
        chunks = [ids[i : i + SESSION_CHUNK] for i in range(0, len(ids), SESSION_CHUNK)]

        def fetch(chunk: list[str]) -> dict[str, list[list[Any]]]:
            def read(tx: neo4j.ManagedTransaction) -> dict[str, list[list[Any]]]:
                return {r[0]: r[1] for r in tx.run(query, tenant=tenant, chunk=chunk, **params)}

            return self._read(read, what)

        first = itemgetter(0)
        # the server reads the next chunk while the caller works through this one
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bolt-read") as ahead:
            pending = [ahead.submit(fetch, chunks[0])] if chunks else []
            for n, chunk in enumerate(chunks):
                found = pending.pop().result()
                if n + 1 < len(chunks):
                    pending.append(ahead.submit(fetch, chunks[n + 1]))
                for sid in chunk:
                    rows = found.get(sid)
                    if rows:
                        rows.sort(key=first)
                        for row in rows:
                            yield row[1]

    # -- writing ---------------------------------------------------------------
    def source_state(self, tenant: str, path: str) -> SourceState | None:
        rows = self._rows(
            "MATCH (s:Source {tenant: $tenant, path: $path}) WHERE s.size IS NOT NULL "
            "RETURN s.id AS id, s.path AS path, s.size AS size, s.mtime_ns AS mtime_ns, "
            "s.format AS format, s.events AS events",
            "reading a source's state",
            tenant=tenant,
            path=path,
        )
        return SourceState(**rows[0]) if rows else None

    def write_file(
        self, tenant: str, source: SourceState, sessions: Iterable[ParsedSession]
    ) -> WriteResult:
        """Write one file's sessions in idempotent batches; record the Source last."""
        result = WriteResult()
        where = f"writing {source.path}"
        self._write(
            lambda tx: _run_all(
                tx,
                ("MERGE (t:Tenant {id: $tenant}) SET t.tenant = $tenant", {"tenant": tenant}),
                (
                    "MERGE (s:Source {id: $id}) SET s.tenant = $tenant, s.path = $path",
                    {"id": source.id, "tenant": tenant, "path": source.path},
                ),
            ),
            where,
        )
        batch = EventBatch(tenant, source.id)
        lookup = RunLookup(self._rows, tenant, self.batch_size)
        runs = FileRuns(lookup, source.path)
        for parsed in runs.settle(lookup.prefetching(sessions)):
            batch.add(parsed)
            if batch.size >= self.batch_size:
                self._flush(batch, result, where)
        if batch.parsed:
            self._flush(batch, result, where)
        self._write(lambda tx: _finish_source(tx, tenant, source), where)
        result.collisions = [asdict(c) for c in runs.collisions]
        return result

    def write_outcomes(
        self, tenant: str, source: SourceState, outcomes: dict[str, Outcome]
    ) -> int:
        """Outcomes of stored sessions from an outcome file, then the file's record."""
        where = f"writing {source.path}"
        rows = [
            {"id": o["id"], "props": o, "session": sid}
            for sid, outcome in sorted(outcomes.items())
            for o in [outcome_props(tenant, source.id, sid, outcome)]
        ]

        def work(tx: neo4j.ManagedTransaction) -> int:
            tx.run(
                "MERGE (s:Source {id: $id}) SET s.tenant = $tenant, s.path = $path",
                id=source.id, tenant=tenant, path=source.path,
            ).consume()
            found = tx.run(
                "UNWIND $rows AS r MATCH (s:Session {id: r.session, tenant: $tenant}) "
                "WHERE s.attrs IS NULL OR NOT s.attrs STARTS WITH '{\"erased\"' "
                "MERGE (n:Outcome {id: r.id}) SET n += r.props "
                "MERGE (s)-[:HAS_OUTCOME]->(n) RETURN count(n) AS n",
                rows=rows, tenant=tenant,
            ).single()
            _finish_source(tx, tenant, source)
            return int(found["n"]) if found else 0

        return self._write(work, where)

    def _flush(self, batch: EventBatch, result: WriteResult, where: str) -> None:
        written = self._write(batch.flush_into, where)
        for name in ("sessions", "events", "new_events", "outcomes"):
            setattr(result, name, getattr(result, name) + getattr(written, name))
        batch.clear()

    # -- reading ---------------------------------------------------------------
    def tenants(self) -> list[str]:
        rows = self._rows("MATCH (t:Tenant) RETURN t.id AS id ORDER BY id", "listing tenants")
        return [r["id"] for r in rows]

    def stats(self, tenant: str) -> StoreStats:
        def count(query: str) -> int:
            return int(self._rows(query, "counting", tenant=tenant)[0]["n"])

        kinds = self._rows(
            "MATCH (e:Event {tenant: $tenant}) RETURN e.kind AS kind, count(*) AS n, "
            "sum(CASE WHEN e.is_error = true THEN 1 ELSE 0 END) AS errors",
            "counting events",
            tenant=tenant,
        )
        by_kind = {r["kind"]: int(r["n"]) for r in kinds}
        return StoreStats(
            tenant=tenant,
            agents=count("MATCH (a:Agent {tenant: $tenant}) RETURN count(a) AS n"),
            sessions=count("MATCH (s:Session {tenant: $tenant}) RETURN count(s) AS n"),
            events=sum(by_kind.values()),
            events_by_kind=by_kind,
            tool_calls=by_kind.get("tool_call", 0),
            tool_errors=sum(int(r["errors"]) for r in kinds if r["kind"] == "tool_result"),
            outcomes=count("MATCH (o:Outcome {tenant: $tenant}) RETURN count(o) AS n"),
            sources=count(
                "MATCH (s:Source {tenant: $tenant}) WHERE s.size IS NOT NULL RETURN count(s) AS n"
            ),
        )

    def _source_paths(self, tenant: str) -> dict[str, str]:
        rows = self._rows(
            "MATCH (s:Source {tenant: $tenant}) RETURN s.id AS id, s.path AS path",
            "listing sources",
            tenant=tenant,
        )
        return {r["id"]: r["path"] for r in rows}

    def sessions(
        self, tenant: str, agent: str | None = None, native_ids: Iterable[str] | None = None
    ) -> list[Session]:
        query = "MATCH (s:Session {tenant: $tenant})"
        where = []
        if agent is not None:
            where.append("s.agent = $agent")
        if native_ids is not None:
            where.append("s.native_id IN $natives")
        if where:
            query += " WHERE " + " AND ".join(where)
        rows = self._rows(
            query + " RETURN s",
            "listing sessions",
            tenant=tenant,
            agent=agent,
            natives=sorted(set(native_ids or ())),
        )
        return self._sessions(tenant, [r["s"] for r in rows])

    def _sessions(self, tenant: str, nodes: list[dict[str, Any]]) -> list[Session]:
        paths = self._source_paths(tenant) if nodes else {}
        nodes.sort(key=lambda p: (p.get("started_at") is not None, p.get("started_at"), p["id"]))
        return [session_from(p, paths.get(p.get("source_id", ""))) for p in nodes]

    def find_session(self, tenant: str, ref: str) -> Session | None:
        for where in (
            "s.id = $ref",
            "s.native_id = $ref",
            "s.id STARTS WITH $ref OR s.native_id STARTS WITH $ref",
        ):
            rows = self._rows(
                f"MATCH (s:Session {{tenant: $tenant}}) WHERE {where} RETURN s LIMIT 2",
                "finding a session",
                tenant=tenant,
                ref=ref,
            )
            if rows:  # several runs share a native id, or a prefix: ambiguous
                return self._sessions(tenant, [rows[0]["s"]])[0] if len(rows) == 1 else None
        return None

    def events(
        self,
        tenant: str,
        *,
        session_id: str | None = None,
        kind: EventKind | None = None,
        tool: str | None = None,
        errors_only: bool = False,
    ) -> Iterator[Event]:
        return self._events(
            tenant, session_id=session_id, kind=kind, tool=tool, errors_only=errors_only
        )

    def _events(
        self, tenant: str, session_ids: Iterable[str] | None = None, **filters: Any
    ) -> Iterator[Event]:
        paths = self._source_paths(tenant)
        where = [f"e.{name} = ${name}" for name in ("kind", "tool") if filters.get(name)]
        if filters.get("errors_only"):
            where.append("e.is_error = true")
        if filters.get("session_id") is not None:
            session_ids = [filters["session_id"]]
        params = {k: filters.get(k) for k in ("kind", "tool")}
        records = self._per_session(
            tenant, "properties(e)", "reading events", " AND ".join(where), session_ids, **params
        )
        for props in records:
            if props.get("source_id") in paths:
                yield event_from(props, paths[props["source_id"]])

    def outcomes(self, tenant: str) -> dict[str, Outcome]:
        paths = self._source_paths(tenant)
        rows = self._rows(
            "MATCH (o:Outcome {tenant: $tenant}) RETURN o", "reading outcomes", tenant=tenant
        )
        return {
            r["o"]["session_id"]: outcome_from(r["o"], paths.get(r["o"].get("source_id", "")))
            for r in rows
        }

    def to_networkx(
        self, tenant: str, session_ids: Iterable[str] | None = None, max_events: int = 50_000
    ) -> nx.MultiDiGraph:
        graph: nx.MultiDiGraph = nx.MultiDiGraph()
        wanted = None if session_ids is None else sorted(set(session_ids))
        for s in self.sessions(tenant):
            if wanted is not None and s.id not in wanted:
                continue
            agent_id = make_id("agent", tenant, s.agent)
            graph.add_node(s.id, label="Session", native_id=s.native_id, agent=s.agent)
            graph.add_node(agent_id, label="Agent", name=s.agent)
            graph.add_edge(s.id, agent_id, key="RUN_BY")
        for count, ev in enumerate(self._events(tenant, session_ids=wanted)):
            if count >= max_events:
                break
            graph.add_node(
                ev.id, label="Event", kind=ev.kind, tool=ev.tool, is_error=ev.is_error,
                trust=ev.trust, file=ev.source.file, line=ev.source.line,
            )
            graph.add_edge(ev.id, ev.session_id, key="IN_SESSION")
            if ev.prev_id:
                graph.add_edge(ev.prev_id, ev.id, key="NEXT")
            if ev.answers_id:
                graph.add_edge(ev.id, ev.answers_id, key="ANSWERS")
        return graph


def _run_all(tx: neo4j.ManagedTransaction, *statements: tuple[str, dict[str, Any]]) -> None:
    for query, params in statements:
        tx.run(query, **params).consume()


def _finish_source(tx: neo4j.ManagedTransaction, tenant: str, source: SourceState) -> None:
    """Count the file's events and record its size and mtime: the file is now ingested."""
    tx.run(
        "MATCH (s:Source {id: $id}) "
        "OPTIONAL MATCH (e:Event {tenant: $tenant, source_id: $id}) "
        "WITH s, count(e) AS n "
        "SET s.size = $size, s.mtime_ns = $mtime_ns, s.format = $format, s.events = n, "
        "s.ingested_at = $now",
        id=source.id, tenant=tenant, size=source.size, mtime_ns=source.mtime_ns,
        format=source.format, now=int(time.time() * 1000),
    ).consume()
