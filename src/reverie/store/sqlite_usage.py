"""Rule-use records on the embedded store (``reverie mcp`` retrievals and feedback).

:class:`SQLiteUsage` is a mixin of :class:`reverie.store.sqlite.SQLiteStore`
(which provides ``self._conn`` in autocommit mode, ``self.path`` and
``self._transaction``). It
implements the usage methods of :class:`~reverie.store.base.GraphStore`; the
table is ``graph/sqlite_usage.sql``, created idempotently the first time a
usage method runs, so a store made before it existed keeps working unchanged.
Counts are ``GROUP BY`` queries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime

import orjson

from reverie.epoch import from_ms, to_ms
from reverie.errors import StoreError
from reverie.resources import data_dir
from reverie.store.usage_base import RuleUsage, RuleUse

__all__ = ["SQLiteUsage"]


def _at(ms: int) -> datetime:
    """A stored time (epoch ms, never null for a use) as an aware datetime."""
    at = from_ms(ms)
    assert at is not None
    return at

_CHUNK = 500


class SQLiteUsage:
    """Mixin of :class:`~reverie.store.sqlite.SQLiteStore`: rule retrievals and feedback."""

    _conn: sqlite3.Connection
    _transaction: Callable[[str], AbstractContextManager[None]]  # SQLiteStore's
    _usage_ready: bool = False

    def _usage_schema(self) -> None:
        if self._usage_ready:
            return
        try:
            self._conn.executescript((data_dir("graph") / "sqlite_usage.sql").read_text())
        except sqlite3.Error as exc:
            raise StoreError(f"cannot create the rule-use table: {exc}") from exc
        self._usage_ready = True

    def record_rule_uses(self, tenant: str, uses: Iterable[RuleUse]) -> int:
        self._usage_schema()
        rows = [
            (u.id, tenant, u.rule_id, u.agent, u.kind, to_ms(u.at),
             None if u.helped is None else int(u.helped), u.note, orjson.dumps(u.flags).decode())
            for u in uses
        ]
        if not rows:
            return 0
        with self._transaction("recording rule uses"):
            self._conn.executemany(
                "INSERT OR IGNORE INTO rule_uses (id, tenant, rule_id, agent, kind, at, helped, "
                "note, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def rule_usage(
        self, tenant: str, since: datetime | None = None, rule_ids: Iterable[str] | None = None
    ) -> list[RuleUsage]:
        self._usage_schema()
        query = (
            "SELECT rule_id, agent, sum(kind = 'retrieved'), sum(kind = 'feedback' AND helped = 1),"
            " sum(kind = 'feedback' AND helped = 0), min(at), max(at) FROM rule_uses "
            "WHERE tenant = ? AND at >= ?"
        )
        start = to_ms(since) if since is not None else -(2**62)
        wanted = None if rule_ids is None else sorted(set(rule_ids))
        found: list[RuleUsage] = []
        chunks = [None] if wanted is None else [
            wanted[i : i + _CHUNK] for i in range(0, len(wanted), _CHUNK)
        ]
        for chunk in chunks:
            sql, params = query, [tenant, start]
            if chunk is not None:
                sql += f" AND rule_id IN ({', '.join('?' * len(chunk))})"
                params += chunk
            for r in self._conn.execute(sql + " GROUP BY rule_id, agent", params):
                found.append(RuleUsage(
                    rule_id=r[0], agent=r[1], retrieved=r[2], helped=r[3], unhelpful=r[4],
                    first_at=from_ms(r[5]), last_at=from_ms(r[6]),
                ))
        return sorted(found, key=lambda u: (u.rule_id, u.agent))

    def rule_feedback(self, tenant: str, rule_id: str, limit: int = 10) -> list[RuleUse]:
        self._usage_schema()
        rows = self._conn.execute(
            "SELECT id, rule_id, agent, kind, at, helped, note, flags FROM rule_uses "
            "WHERE tenant = ? AND rule_id = ? AND kind = 'feedback' ORDER BY at DESC, id LIMIT ?",
            (tenant, rule_id, limit),
        ).fetchall()
        return [
            RuleUse(id=r[0], rule_id=r[1], agent=r[2], kind=r[3], at=_at(r[4]),
                    helped=None if r[5] is None else bool(r[5]), note=r[6],
                    flags=orjson.loads(r[7]))
            for r in rows
        ]

    def erase_rule_uses(self, tenant: str, agents: Iterable[str]) -> int:
        self._usage_schema()
        names = sorted(set(agents))
        gone = 0
        with self._transaction("erasing rule uses"):  # every chunk or none
            for i in range(0, len(names), _CHUNK):
                chunk = names[i : i + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                cur = self._conn.execute(
                    f"DELETE FROM rule_uses WHERE tenant = ? AND agent IN ({marks})",
                    [tenant, *chunk],
                )
                gone += cur.rowcount
        return gone
