"""The embedded provenance store: one SQLite file in the workspace's ``.reverie/``.

WAL journal, one transaction per source file (all or nothing), batched
inserts, and the indexes mining needs. The schema is data:
``graph/sqlite.sql`` (applied idempotently on open).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from reverie.epoch import from_ms, to_ms
from reverie.errors import StoreError
from reverie.ids import make_id
from reverie.ingest.provenance import FileRuns, StoredRun, own_part
from reverie.models import Event, EventKind, Outcome, ParsedSession, Session, SourceRef, Usage
from reverie.resources import data_dir
from reverie.settings import Settings
from reverie.store.base import SourceState, StoreStats, WriteResult, dumps_payload
from reverie.store.sqlite_mining import SQLiteMining
from reverie.store.sqlite_usage import SQLiteUsage

if TYPE_CHECKING:  # networkx costs 0.1 s to import: only to_networkx needs it
    import networkx as nx

__all__ = ["SQLiteStore"]

_EVENT_COLUMNS = (
    "id, tenant, session_id, seq, key, kind, role, trust, text, tool, tool_input, call_id, "
    "is_error, exit_code, ts, model, input_tokens, output_tokens, cache_read_tokens, "
    "cache_write_tokens, cost_usd, flags, attrs, prev_id, answers_id, source_id, line"
)
_EVENT_INSERT = (
    f"INSERT OR IGNORE INTO events ({_EVENT_COLUMNS}) "
    f"VALUES ({', '.join('?' * len(_EVENT_COLUMNS.split(', ')))})"
)
_BATCH = 5_000


def _dumps(value: Any) -> str | None:
    return None if value is None else dumps_payload(value)


def _loads(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)


class SQLiteStore(SQLiteMining, SQLiteUsage):
    """The default :class:`~reverie.store.base.GraphStore` (``embedded``): SQLite in WAL mode."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=OFF")
            self._conn.execute("PRAGMA temp_store=MEMORY")
            self._conn.execute("PRAGMA cache_size=-65536")
            # A checkpoint (WAL copied into the database, fsynced) every 40 MB of WAL
            # instead of every 4 MB: ingest commits a file at a time, and writing 90
            # replicated real Claude Code files spent 84-89 ms in COMMIT at 4 MB, 38 at 40.
            self._conn.execute("PRAGMA wal_autocheckpoint=10000")
            self._conn.executescript((data_dir("graph") / "sqlite.sql").read_text())
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the embedded store at {self.path}: {exc}") from exc
        self._ensure_mining_schema()

    @classmethod
    def from_settings(cls, settings: Settings) -> SQLiteStore:
        return cls(settings.db_path)

    def close(self) -> None:
        # Keeps the query planner's statistics current (cheap; SQLite's advice).
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA optimize")
        self._conn.close()

    def info(self) -> dict[str, Any]:
        return {"kind": "embedded", "path": str(self.path)}

    # -- writing ---------------------------------------------------------------
    def source_state(self, tenant: str, path: str) -> SourceState | None:
        row = self._conn.execute(
            "SELECT id, path, size, mtime_ns, format, events FROM sources "
            "WHERE tenant = ? AND path = ?",
            (tenant, path),
        ).fetchone()
        if row is None:
            return None
        return SourceState(
            id=row[0], path=row[1], size=row[2], mtime_ns=row[3], format=row[4], events=row[5]
        )

    def write_file(
        self, tenant: str, source: SourceState, sessions: Iterable[ParsedSession]
    ) -> WriteResult:
        result = WriteResult()
        with self._transaction(f"writing {source.path}"):
            self._conn.execute("INSERT OR IGNORE INTO tenants (id) VALUES (?)", (tenant,))
            runs = FileRuns(
                lambda native_id, first: self._stored_runs(tenant, native_id, first), source.path
            )
            for parsed in runs.settle(sessions):
                self._write_session(tenant, source, parsed, result)
            result.collisions = [asdict(c) for c in runs.collisions]
            self._record_source(tenant, source, source.events + result.new_events)
        return result

    @contextlib.contextmanager
    def _transaction(self, what: str) -> Iterator[None]:
        """One write transaction: all of it or, on any error or interrupt, none of it."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"{what} in {self.path} failed: {exc}") from exc
            raise

    def _record_source(self, tenant: str, source: SourceState, events: int) -> None:
        """Remember a file's size, time and event total, so an unchanged file is skipped."""
        self._conn.execute(
            "INSERT INTO sources (id, tenant, path, size, mtime_ns, format, events, "
            "ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "size = excluded.size, mtime_ns = excluded.mtime_ns, format = excluded.format, "
            "events = excluded.events, ingested_at = excluded.ingested_at",
            (
                source.id,
                tenant,
                source.path,
                source.size,
                source.mtime_ns,
                source.format,
                events,
                int(time.time() * 1000),
            ),
        )

    def _stored_runs(self, tenant: str, native_id: str, first: str | None) -> list[StoredRun]:
        """The runs stored under ``native_id`` that could be the run whose first own id is given.

        A run can only be the same as one that starts with the same event (or
        has none), so only those candidates' event ids are read.
        """
        rows = self._conn.execute(
            "SELECT s.id, s.agent, coalesce(src.path, ''), "
            "(SELECT e.id FROM events e WHERE e.tenant = s.tenant AND e.session_id = s.id "
            "AND e.seq = 0) FROM sessions s LEFT JOIN sources src ON src.id = s.source_id "
            "WHERE s.tenant = ? AND s.native_id = ?",
            (tenant, native_id),
        ).fetchall()
        runs = []
        for sid, agent, path, head in rows:
            own: tuple[str, ...] = ()
            if head is not None and (first is None or own_part(head) == first):
                own = tuple(
                    own_part(r[0])
                    for r in self._conn.execute(
                        "SELECT id FROM events WHERE tenant = ? AND session_id = ? ORDER BY seq",
                        (tenant, sid),
                    )
                )
            elif head is not None:
                own = (own_part(head),)
            runs.append(StoredRun(sid, agent, path, own))
        return runs

    def _write_session(
        self, tenant: str, source: SourceState, parsed: ParsedSession, result: WriteResult
    ) -> None:
        s = parsed.session
        conn = self._conn
        erased = conn.execute(
            "SELECT 1 FROM sessions WHERE id = ? AND tenant = ? AND attrs LIKE '{\"erased\"%'",
            (s.id, tenant),
        ).fetchone()
        if erased:  # forgotten sessions stay forgotten when their file is ingested again
            return
        agent_id = _agent_id(tenant, s.agent)
        conn.execute(
            "INSERT OR IGNORE INTO agents (id, tenant, name) VALUES (?, ?, ?)",
            (agent_id, tenant, s.agent),
        )
        conn.execute(
            "INSERT INTO sessions (id, tenant, native_id, agent_id, agent, format, source_id, "
            "task, model, started_at, ended_at, parent_id, parent_call_id, attrs) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "task = coalesce(sessions.task, excluded.task), model = excluded.model, "
            "started_at = excluded.started_at, ended_at = excluded.ended_at, "
            "attrs = excluded.attrs",
            (
                s.id,
                tenant,
                s.native_id,
                agent_id,
                s.agent,
                s.format,
                source.id,
                s.task,
                s.model,
                to_ms(s.started_at),
                to_ms(s.ended_at),
                s.parent_id,
                s.parent_call_event_id,
                _dumps(s.attrs),
            ),
        )
        before = conn.total_changes
        batch: list[tuple[Any, ...]] = []
        for ev in parsed.events:
            batch.append(_event_row(tenant, source.id, ev))
            if len(batch) >= _BATCH:
                conn.executemany(_EVENT_INSERT, batch)
                batch.clear()
        if batch:
            conn.executemany(_EVENT_INSERT, batch)
        result.new_events += conn.total_changes - before
        result.events += len(parsed.events)
        result.sessions += 1
        if parsed.outcome is not None:
            self._write_outcome(tenant, source.id, s.id, parsed.outcome)
            result.outcomes += 1

    def _write_outcome(self, tenant: str, source_id: str, session: str, o: Outcome) -> None:
        self._conn.execute(
            "INSERT INTO outcomes (id, tenant, session_id, success, reward, detail, "
            "source_id, line) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "success = excluded.success, reward = excluded.reward, detail = excluded.detail, "
            "source_id = excluded.source_id, line = excluded.line",
            (
                "o" + session,
                tenant,
                session,
                None if o.success is None else int(o.success),
                o.reward,
                o.detail,
                source_id,
                o.source.line if o.source else None,
            ),
        )

    def write_outcomes(
        self, tenant: str, source: SourceState, outcomes: dict[str, Outcome]
    ) -> int:
        conn = self._conn
        written = 0
        with self._transaction(f"writing {source.path}"):
            conn.execute("INSERT OR IGNORE INTO tenants (id) VALUES (?)", (tenant,))
            self._record_source(tenant, source, 0)
            for session, outcome in sorted(outcomes.items()):
                known = conn.execute(
                    "SELECT 1 FROM sessions WHERE tenant = ? AND id = ? "
                    "AND attrs NOT LIKE '{\"erased\"%'",
                    (tenant, session),
                ).fetchone()
                if known:
                    self._write_outcome(tenant, source.id, session, outcome)
                    written += 1
        return written

    # -- erasure (reverie forget) ---------------------------------------------------
    def erase(
        self, tenant: str, session_ids: Iterable[str], tombstone: dict[str, Any]
    ) -> dict[str, int]:
        """Remove the content of these sessions in one transaction; keep tombstones.

        Events keep their ids, kind, role, trust, tool name, times, usage and
        links; their text, tool input, attrs, error status and exit code are
        cleared, ``flags`` becomes ``["erased"]`` and ``attrs`` holds
        ``{"erased": tombstone}``. Sessions lose their task and attrs the same
        way; their outcomes and mining records (failures, corrections) are
        deleted. ``secure_delete`` zeroes the freed bytes; :meth:`compact`
        then rewrites the file and empties the WAL.
        """
        ids = sorted(set(session_ids))
        mark = _dumps({"erased": tombstone})
        counts = dict.fromkeys(("sessions", "events", "outcomes", "failures", "corrections"), 0)
        conn = self._conn
        try:
            conn.execute("PRAGMA secure_delete=ON")
        except sqlite3.Error as exc:
            raise StoreError(f"erasing sessions in {self.path} failed: {exc}") from exc
        with self._transaction("erasing sessions"):
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ", ".join("?" * len(chunk))
                counts["corrections"] += conn.execute(
                    "DELETE FROM mine_corrections WHERE tenant = ? AND failure_id IN (SELECT id "
                    f"FROM mine_failures WHERE tenant = ? AND session_id IN ({marks}))",
                    (tenant, tenant, *chunk),
                ).rowcount
                for table, column, key in (
                    ("mine_failures", "session_id", "failures"),
                    ("outcomes", "session_id", "outcomes"),
                ):
                    counts[key] += conn.execute(
                        f"DELETE FROM {table} WHERE tenant = ? AND {column} IN ({marks})",
                        (tenant, *chunk),
                    ).rowcount
                counts["events"] += conn.execute(
                    "UPDATE events SET text = NULL, tool_input = NULL, attrs = ?, "
                    "flags = '[\"erased\"]', is_error = 0, exit_code = NULL "
                    f"WHERE tenant = ? AND session_id IN ({marks})",
                    (mark, tenant, *chunk),
                ).rowcount
                counts["sessions"] += conn.execute(
                    "UPDATE sessions SET task = NULL, attrs = ? "
                    f"WHERE tenant = ? AND id IN ({marks})",
                    (mark, tenant, *chunk),
                ).rowcount
        return counts

    def compact(self) -> None:
        """Rewrite the store file (VACUUM) and empty the WAL, so erased bytes are gone."""
        try:
            self._conn.execute("PRAGMA secure_delete=ON")
            self._conn.execute("VACUUM")
            busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error as exc:
            raise StoreError(f"compacting {self.path} failed: {exc}") from exc
        if busy:
            raise StoreError(
                f"{self.path}: the WAL could not be emptied because another process has the "
                "store open; close it and run `reverie forget` again"
            )

    # -- reading ---------------------------------------------------------------
    def tenants(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT id FROM tenants ORDER BY id")]

    def stats(self, tenant: str) -> StoreStats:
        q = self._conn.execute
        by_kind = dict(
            q("SELECT kind, count(*) FROM events WHERE tenant = ? GROUP BY kind", (tenant,))
        )
        return StoreStats(
            tenant=tenant,
            agents=q("SELECT count(*) FROM agents WHERE tenant = ?", (tenant,)).fetchone()[0],
            sessions=q("SELECT count(*) FROM sessions WHERE tenant = ?", (tenant,)).fetchone()[0],
            events=sum(by_kind.values()),
            events_by_kind=by_kind,
            tool_calls=by_kind.get("tool_call", 0),
            tool_errors=q(
                "SELECT count(*) FROM events WHERE tenant = ? AND kind = 'tool_result' "
                "AND is_error = 1",
                (tenant,),
            ).fetchone()[0],
            outcomes=q("SELECT count(*) FROM outcomes WHERE tenant = ?", (tenant,)).fetchone()[0],
            sources=q("SELECT count(*) FROM sources WHERE tenant = ?", (tenant,)).fetchone()[0],
        )

    def sessions(
        self, tenant: str, agent: str | None = None, native_ids: Iterable[str] | None = None
    ) -> list[Session]:
        sql = f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE s.tenant = ?"
        args: list[Any] = [tenant]
        if agent is not None:
            sql += " AND s.agent = ?"
            args.append(agent)
        if native_ids is not None:
            wanted = sorted(set(native_ids))
            sql += " AND s.native_id IN (SELECT value FROM json_each(?))"
            args.append(orjson.dumps(wanted).decode())
        sql += " ORDER BY s.started_at, s.id"
        return [_session(r) for r in self._conn.execute(sql, args)]

    def find_session(self, tenant: str, ref: str) -> Session | None:
        q = f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE s.tenant = ? AND "
        for where, arg in (
            ("s.id = ?", ref),
            ("s.native_id = ?", ref),
            (r"(s.id LIKE ? ESCAPE '\' OR s.native_id LIKE ? ESCAPE '\')", _prefix(ref)),
        ):
            args = (tenant, arg) if where.count("?") == 1 else (tenant, arg, arg)
            rows = self._conn.execute(q + where + " LIMIT 2", args).fetchall()
            if rows:  # several runs share a native id, or a prefix: ambiguous
                return _session(rows[0]) if len(rows) == 1 else None
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
        sql = f"SELECT {_EVENT_SELECT} FROM events e JOIN sources src ON src.id = e.source_id "
        sql += "WHERE e.tenant = ?"
        args: list[Any] = [tenant]
        for column, value in (("e.session_id", session_id), ("e.kind", kind), ("e.tool", tool)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        if errors_only:
            sql += " AND e.is_error = 1"
        sql += " ORDER BY e.session_id, e.seq"
        for row in self._conn.execute(sql, args):
            yield _event(row)

    def outcomes(self, tenant: str) -> dict[str, Outcome]:
        rows = self._conn.execute(
            "SELECT o.session_id, o.success, o.reward, o.detail, src.path, o.line FROM outcomes o "
            "LEFT JOIN sources src ON src.id = o.source_id WHERE o.tenant = ?",
            (tenant,),
        )
        return {
            r[0]: Outcome(
                success=None if r[1] is None else bool(r[1]),
                reward=r[2],
                detail=r[3],
                source=SourceRef(file=r[4], line=r[5] or 0) if r[4] else None,
            )
            for r in rows
        }

    def to_networkx(
        self, tenant: str, session_ids: Iterable[str] | None = None, max_events: int = 50_000
    ) -> nx.MultiDiGraph:
        import networkx as nx

        graph: nx.MultiDiGraph = nx.MultiDiGraph()
        wanted = None if session_ids is None else set(session_ids)
        for s in self.sessions(tenant):
            if wanted is not None and s.id not in wanted:
                continue
            graph.add_node(s.id, label="Session", native_id=s.native_id, agent=s.agent)
            graph.add_node(_agent_id(tenant, s.agent), label="Agent", name=s.agent)
            graph.add_edge(s.id, _agent_id(tenant, s.agent), key="RUN_BY")
        events = (
            self.events(tenant)
            if wanted is None
            else chain.from_iterable(self.events(tenant, session_id=s) for s in sorted(wanted))
        )
        for ev in islice(events, max_events):
            graph.add_node(
                ev.id,
                label="Event",
                kind=ev.kind,
                tool=ev.tool,
                is_error=ev.is_error,
                trust=ev.trust,
                file=ev.source.file,
                line=ev.source.line,
            )
            graph.add_edge(ev.id, ev.session_id, key="IN_SESSION")
            if ev.prev_id:
                graph.add_edge(ev.prev_id, ev.id, key="NEXT")
            if ev.answers_id:
                graph.add_edge(ev.id, ev.answers_id, key="ANSWERS")
        return graph


_SESSION_COLUMNS = (
    "s.id, s.native_id, s.agent, s.format, s.tenant, s.task, s.model, s.started_at, "
    "s.ended_at, s.parent_id, s.parent_call_id, s.attrs, "
    "(SELECT path FROM sources WHERE id = s.source_id)"
)
_EVENT_SELECT = (
    "e.id, e.session_id, e.seq, e.key, e.kind, e.role, e.trust, e.text, e.tool, e.tool_input, "
    "e.call_id, e.is_error, e.exit_code, e.ts, e.model, e.input_tokens, e.output_tokens, "
    "e.cache_read_tokens, e.cache_write_tokens, e.cost_usd, e.flags, e.attrs, e.prev_id, "
    "e.answers_id, src.path, e.line"
)


def _prefix(ref: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching what starts with ``ref``."""
    return ref.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def _agent_id(tenant: str, name: str) -> str:
    return make_id("agent", tenant, name)


def _event_row(tenant: str, source_id: str, ev: Event) -> tuple[Any, ...]:
    u = ev.usage
    return (
        ev.id,
        tenant,
        ev.session_id,
        ev.seq,
        ev.key,
        ev.kind,
        ev.role,
        ev.trust,
        ev.text,
        ev.tool,
        _dumps(ev.tool_input),
        ev.call_id,
        int(ev.is_error),
        ev.exit_code,
        to_ms(ev.timestamp),
        ev.model,
        u.input_tokens if u else None,
        u.output_tokens if u else None,
        u.cache_read_tokens if u else None,
        u.cache_write_tokens if u else None,
        u.cost_usd if u else None,
        _dumps(ev.flags) if ev.flags else None,
        _dumps(ev.attrs) if ev.attrs else None,
        ev.prev_id,
        ev.answers_id,
        source_id,
        ev.source.line,
    )


def _event(r: tuple[Any, ...]) -> Event:
    usage = None
    if r[15] is not None or r[16] is not None:
        usage = Usage(
            input_tokens=r[15] or 0,
            output_tokens=r[16] or 0,
            cache_read_tokens=r[17] or 0,
            cache_write_tokens=r[18] or 0,
            cost_usd=r[19],
        )
    return Event(
        id=r[0],
        session_id=r[1],
        seq=r[2],
        key=r[3],
        kind=r[4],
        role=r[5],
        trust=r[6],
        text=r[7],
        tool=r[8],
        tool_input=_loads(r[9]),
        call_id=r[10],
        is_error=bool(r[11]),
        exit_code=r[12],
        timestamp=from_ms(r[13]),
        model=r[14],
        usage=usage,
        flags=_loads(r[20]) or [],
        attrs=_loads(r[21]) or {},
        prev_id=r[22],
        answers_id=r[23],
        source=SourceRef(file=r[24], line=r[25]),
    )


def _session(r: tuple[Any, ...]) -> Session:
    return Session(
        id=r[0],
        native_id=r[1],
        agent=r[2],
        format=r[3],
        tenant=r[4],
        task=r[5],
        model=r[6],
        started_at=from_ms(r[7]),
        ended_at=from_ms(r[8]),
        parent_id=r[9],
        parent_call_event_id=r[10],
        attrs=_loads(r[11]) or {},
        source_file=r[12] or "",
    )
