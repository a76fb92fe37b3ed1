"""Mining persistence and aggregations for the embedded store.

:class:`SQLiteMining` is a mixin of :class:`reverie.store.sqlite.SQLiteStore`
(which provides ``self._conn``, a WAL-mode ``sqlite3.Connection`` in
autocommit mode). It implements the mining methods of the store contract
(:class:`~reverie.store.base.GraphStore`):
the tables are in ``graph/sqlite_mining.sql``; a tenant's mining results are
replaced in one transaction; the aggregates are ``GROUP BY`` queries, so
mining a store of millions of events never pulls the failures back into
Python to count them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import orjson

from reverie.epoch import to_ms
from reverie.errors import StoreError
from reverie.models import TRUST_CLASSES, Correction, Failure, Motif, Signature
from reverie.resources import data_dir
from reverie.store.mining_base import (
    FailureExample,
    MiningEvent,
    MiningSession,
    RecoveryStat,
    SignatureSession,
    SignatureStat,
)

__all__ = ["SQLiteMining"]

_BATCH = 5_000
_CHUNK = 500
_CACHE_KIB = 8_192
"""Page cache while mining reads or writes: it reads each page once, so a bigger cache only
holds memory (64 MB of the store's cache filled at 1M events, for no time saved)."""
_FAILED = (
    "CASE WHEN o.success IS NOT NULL THEN o.success = 0 "
    "WHEN o.reward IS NOT NULL THEN o.reward <= 0 END"
)
_TABLES = (
    "mine_motif_signatures", "mine_motifs", "mine_corrections", "mine_failures", "mine_signatures",
)


_new_row = tuple.__new__


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


class SQLiteMining:
    """Mixin of :class:`~reverie.store.sqlite.SQLiteStore`: failures, signatures, motifs."""

    _conn: sqlite3.Connection

    def _ensure_mining_schema(self) -> None:
        """Create the mining tables if they are missing (idempotent)."""
        try:
            self._conn.executescript((data_dir("graph") / "sqlite_mining.sql").read_text())
        except sqlite3.Error as exc:
            raise StoreError(f"cannot create the mining tables: {exc}") from exc

    # -- reading what mining needs ----------------------------------------------
    def failure_candidates(self, tenant: str) -> Iterator[MiningEvent]:
        """Every event of the tenant by session and ``seq``; assistant text is left out."""
        with _small_cache(self._conn):
            rows = self._conn.execute(
                "SELECT id, session_id, seq, kind, role, trust, tool, "
                "CASE WHEN kind = 'message' AND role = 'assistant' THEN NULL ELSE text END, "
                "tool_input, is_error, exit_code, answers_id, ts, "
                "coalesce(input_tokens, 0) + coalesce(output_tokens, 0), flags "
                "FROM events WHERE tenant = ? ORDER BY session_id, seq",
                (tenant,),
            )
            # a million rows: unpacked in the loop and built as the named tuple's own
            # ``_make`` does (``tuple.__new__``), a tenth of the read's time less
            for (
                ev_id, session_id, seq, kind, role, trust, tool, text, tool_input, is_error,
                exit_code, answers_id, ts, tokens, flags,
            ) in rows:
                yield _new_row(MiningEvent, (
                    ev_id, session_id, seq, kind, role, trust, tool, text, tool_input,
                    is_error != 0, exit_code, answers_id, ts, tokens, flags,
                ))

    def mining_sessions(self, tenant: str) -> Iterator[MiningSession]:
        rows = self._conn.execute(
            f"SELECT s.id, s.agent, {_FAILED} FROM sessions s "
            "LEFT JOIN outcomes o ON o.tenant = s.tenant AND o.session_id = s.id "
            "WHERE s.tenant = ?",
            (tenant,),
        )
        for r in rows:
            yield MiningSession(r[0], r[1], _bool(r[2]))

    # -- writing ------------------------------------------------------------------
    def write_mining(
        self,
        tenant: str,
        failures: Iterable[Failure],
        signatures: Iterable[Signature],
        corrections: Iterable[Correction],
    ) -> None:
        """Replace the tenant's failures, signatures, corrections and motifs in one transaction."""
        with _small_cache(self._conn):
            self._write_mining(tenant, failures, signatures, corrections)

    def _write_mining(
        self,
        tenant: str,
        failures: Iterable[Failure],
        signatures: Iterable[Signature],
        corrections: Iterable[Correction],
    ) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for table in _TABLES:
                conn.execute(f"DELETE FROM {table} WHERE tenant = ?", (tenant,))
            _insert_many(
                conn,
                "INSERT OR REPLACE INTO mine_signatures (id, tenant, tool, program, error_class, "
                "template) VALUES (?, ?, ?, ?, ?, ?)",
                ((s.id, tenant, s.tool, s.program, s.error_class, s.template) for s in signatures),
            )
            _insert_many(
                conn,
                "INSERT OR REPLACE INTO mine_failures (id, tenant, event_id, session_id, agent, "
                "kind, detector, tool, program, text, signature_id, trust, ts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (f.id, tenant, f.event_id, f.session_id, f.agent, f.kind, f.detector, f.tool,
                     f.program, f.text, f.signature_id, f.trust, to_ms(f.timestamp))
                    for f in failures
                ),
            )
            _insert_many(
                conn,
                "INSERT OR REPLACE INTO mine_corrections (id, tenant, failure_id, event_id, kind, "
                "summary, steps, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (c.id, tenant, c.failure_id, c.event_id, c.kind, c.summary, c.steps, c.tokens)
                    for c in corrections
                ),
            )
            conn.execute("COMMIT")
        except BaseException as exc:
            _rollback(conn, exc, "writing mining results")
            raise

    def write_motifs(self, tenant: str, motifs: Iterable[Motif]) -> None:
        """Replace the tenant's motifs and their ``GROUPS`` edges in one transaction."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM mine_motif_signatures WHERE tenant = ?", (tenant,))
            conn.execute("DELETE FROM mine_motifs WHERE tenant = ?", (tenant,))
            for m in motifs:
                conn.execute(
                    "INSERT OR REPLACE INTO mine_motifs (id, tenant, score, body) "
                    "VALUES (?, ?, ?, ?)",
                    (m.id, tenant, m.score, m.model_dump_json()),
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO mine_motif_signatures (tenant, motif_id, "
                    "signature_id) VALUES (?, ?, ?)",
                    [(tenant, m.id, sid) for sid in m.signature_ids],
                )
            conn.execute("COMMIT")
        except BaseException as exc:
            _rollback(conn, exc, "writing motifs")
            raise

    # -- aggregates -----------------------------------------------------------------
    def signature_stats(
        self, tenant: str, trust_weights: Mapping[str, float]
    ) -> list[SignatureStat]:
        cases = " ".join(f"WHEN '{t}' THEN ?" for t in TRUST_CLASSES)
        args = [float(trust_weights.get(t, 0.0)) for t in TRUST_CLASSES]
        rows = self._conn.execute(
            "SELECT signature_id, max(kind), count(*), count(DISTINCT session_id), "
            f"count(DISTINCT agent), sum(CASE trust {cases} ELSE 0 END), min(ts), max(ts) "
            "FROM mine_failures WHERE tenant = ? AND signature_id IS NOT NULL "
            "GROUP BY signature_id",
            (*args, tenant),
        )
        return [SignatureStat(*r) for r in rows]

    def signature_sessions(self, tenant: str) -> list[SignatureSession]:
        rows = self._conn.execute(
            f"SELECT DISTINCT f.signature_id, f.session_id, f.agent, {_FAILED} "
            "FROM mine_failures f LEFT JOIN outcomes o "
            "ON o.tenant = f.tenant AND o.session_id = f.session_id "
            "WHERE f.tenant = ? AND f.signature_id IS NOT NULL",
            (tenant,),
        )
        return [SignatureSession(r[0], r[1], r[2], _bool(r[3])) for r in rows]

    def recovery_stats(self, tenant: str) -> list[RecoveryStat]:
        with _small_cache(self._conn):
            rows = self._conn.execute(
                "SELECT f.signature_id, c.kind, c.summary, count(*), avg(c.steps), "
                "avg(c.tokens), avg(e.ts - f.ts) FROM mine_corrections c "
                "JOIN mine_failures f ON f.id = c.failure_id AND f.tenant = c.tenant "
                "LEFT JOIN events e ON e.id = c.event_id AND e.tenant = c.tenant "
                "WHERE c.tenant = ? AND f.signature_id IS NOT NULL "
                "GROUP BY f.signature_id, c.kind, c.summary",
                (tenant,),
            )
            return [RecoveryStat(*r) for r in rows]

    def failure_examples(
        self, tenant: str, signature_ids: Iterable[str], limit: int = 3
    ) -> list[FailureExample]:
        ids = list(dict.fromkeys(signature_ids))
        out: list[FailureExample] = []
        with _small_cache(self._conn):
            for i in range(0, len(ids), _CHUNK):
                out.extend(self._failure_examples(tenant, ids[i : i + _CHUNK], limit))
        return out

    def _failure_examples(
        self, tenant: str, chunk: list[str], limit: int
    ) -> Iterator[FailureExample]:
        marks = ", ".join("?" * len(chunk))
        rows = self._conn.execute(
            "SELECT signature_id, id, event_id, session_id, path, line FROM ("
            " SELECT x.*, row_number() OVER (PARTITION BY signature_id ORDER BY k, ts, id) rn"
            " FROM (SELECT f.signature_id, f.id, f.event_id, f.session_id, f.ts, src.path,"
            "  e.line, row_number() OVER (PARTITION BY f.signature_id, f.session_id"
            "  ORDER BY f.ts, f.id) k"
            "  FROM mine_failures f JOIN events e ON e.id = f.event_id AND e.tenant = f.tenant"
            "  JOIN sources src ON src.id = e.source_id"
            f"  WHERE f.tenant = ? AND f.signature_id IN ({marks})) x"
            ") WHERE rn <= ? ORDER BY signature_id, rn",
            (tenant, *chunk, limit),
        )
        return (FailureExample(*r) for r in rows)

    def motifs(self, tenant: str) -> list[Motif]:
        rows = self._conn.execute(
            "SELECT body FROM mine_motifs WHERE tenant = ? ORDER BY score DESC, id", (tenant,)
        )
        return [Motif.model_validate(orjson.loads(r[0])) for r in rows]


@contextmanager
def _small_cache(conn: sqlite3.Connection) -> Iterator[None]:
    """Hold the connection's page cache to :data:`_CACHE_KIB` (if larger), then restore it."""
    try:
        previous = conn.execute("PRAGMA cache_size").fetchone()[0]
        page_kib = conn.execute("PRAGMA page_size").fetchone()[0] / 1024
    except sqlite3.Error as exc:
        raise StoreError(f"reading the page cache size failed: {exc}") from exc
    kib = -previous if previous < 0 else previous * page_kib
    if kib <= _CACHE_KIB:
        yield
        return
    conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(previous)}")


def _insert_many(conn: sqlite3.Connection, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            conn.executemany(sql, batch)
            batch.clear()
    if batch:
        conn.executemany(sql, batch)


def _rollback(conn: sqlite3.Connection, exc: BaseException, what: str) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    if isinstance(exc, sqlite3.Error):
        raise StoreError(f"{what} failed: {exc}") from exc
