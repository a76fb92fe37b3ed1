"""Erasing sessions' content on the Bolt store (``reverie forget``), in Cypher.

:class:`BoltErase` is a mixin of :class:`reverie.store.bolt.BoltStore` with
the same :meth:`erase` the embedded store has (see
:meth:`reverie.store.base.GraphStore.erase`): events keep their ids, kind, role,
trust, tool name, times, usage and links; their text, tool input, error
status and exit code are cleared, ``flags`` becomes ``["erased"]`` and
``attrs`` holds the tombstone. Sessions lose their task and attrs the same
way; their outcomes and mining records (failures, corrections) are deleted.

:meth:`compact` has nothing to do here: the server owns its files. Freed
records are reused by the server's own storage; backups and transaction logs
keep old values until the server rotates them (see docs/store.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import neo4j
import orjson

__all__ = ["BoltErase"]

_CHUNK = 500
_STEPS = (
    (
        "corrections",
        "MATCH (f:Failure {tenant: $tenant}) WHERE f.session_id IN $ids "
        "MATCH (c:Correction {tenant: $tenant, failure_id: f.id}) "
        "WITH DISTINCT c DETACH DELETE c RETURN count(*) AS n",
    ),
    (
        "failures",
        "MATCH (f:Failure {tenant: $tenant}) WHERE f.session_id IN $ids "
        "DETACH DELETE f RETURN count(*) AS n",
    ),
    (
        "outcomes",
        "MATCH (o:Outcome {tenant: $tenant}) WHERE o.session_id IN $ids "
        "DETACH DELETE o RETURN count(*) AS n",
    ),
    (
        "events",
        "MATCH (e:Event {tenant: $tenant}) WHERE e.session_id IN $ids "
        "SET e.text = null, e.tool_input = null, e.attrs = $mark, e.flags = ['erased'], "
        "e.is_error = false, e.exit_code = null RETURN count(*) AS n",
    ),
    (
        "sessions",
        "MATCH (s:Session {tenant: $tenant}) WHERE s.id IN $ids "
        "SET s.task = null, s.attrs = $mark RETURN count(*) AS n",
    ),
)


class BoltErase:
    """Mixin of :class:`~reverie.store.bolt.BoltStore`: ``reverie forget`` support."""

    _write: Callable[..., Any]

    def erase(
        self, tenant: str, session_ids: Iterable[str], tombstone: dict[str, Any]
    ) -> dict[str, int]:
        """Remove the content of these sessions, 500 sessions per transaction."""
        ids = sorted(set(session_ids))
        mark = orjson.dumps({"erased": tombstone}, default=str).decode()
        counts = {name: 0 for name, _ in _STEPS}
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]

            def work(tx: neo4j.ManagedTransaction, chunk: list[str] = chunk) -> dict[str, int]:
                return {
                    name: int(
                        tx.run(query, tenant=tenant, ids=chunk, mark=mark).single(strict=True)["n"]
                    )
                    for name, query in _STEPS
                }

            for name, n in self._write(work, "erasing sessions").items():
                counts[name] += n
        return counts

    def compact(self) -> None:
        """Nothing to compact client-side: the server manages its own files."""
