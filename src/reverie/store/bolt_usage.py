"""Rule-use records on the Bolt store (``reverie mcp`` retrievals and feedback), in Cypher.

:class:`BoltUsage` is a mixin of :class:`reverie.store.bolt.BoltStore` and
implements the usage methods of :class:`~reverie.store.base.GraphStore` as
:class:`~reverie.store.sqlite_usage.SQLiteUsage` does for the embedded store:
one ``RuleUse`` node per retrieval or feedback (``graph/neo4j_usage.cypher``,
applied idempotently the first time a usage method runs), counted on the
server (``sum(CASE ...)`` grouped by rule and agent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import neo4j
import orjson

from reverie.epoch import from_ms, to_ms
from reverie.resources import data_dir
from reverie.store.usage_base import RuleUsage, RuleUse

__all__ = ["BoltUsage", "usage_schema_statements"]


def _at(ms: int) -> datetime:
    """A stored time (epoch ms, never null for a use) as an aware datetime."""
    at = from_ms(ms)
    assert at is not None
    return at

_BATCH = 2_000


def usage_schema_statements() -> list[str]:
    """The statements of ``graph/neo4j_usage.cypher``, comments removed."""
    text = (data_dir("graph") / "neo4j_usage.cypher").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("//")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _props(tenant: str, u: RuleUse) -> dict[str, Any]:
    props: dict[str, Any] = {
        "tenant": tenant, "rule_id": u.rule_id, "agent": u.agent, "kind": u.kind,
        "at": to_ms(u.at), "note": u.note, "flags": orjson.dumps(u.flags).decode(),
    }
    if u.helped is not None:
        props["helped"] = int(u.helped)
    return props


class BoltUsage:
    """Mixin of :class:`~reverie.store.bolt.BoltStore`: rule retrievals and feedback."""

    # provided by BoltStore
    _write: Callable[..., Any]
    _rows: Callable[..., list[dict[str, Any]]]
    _usage_ready: bool = False

    def _usage_schema(self) -> None:
        if self._usage_ready:
            return
        for statement in usage_schema_statements():

            def apply(tx: neo4j.ManagedTransaction, q: str = statement) -> None:
                tx.run(q).consume()

            self._write(apply, "applying the rule-use schema")
        self._usage_ready = True

    def record_rule_uses(self, tenant: str, uses: Iterable[RuleUse]) -> int:
        self._usage_schema()
        rows = [{"id": u.id, "props": _props(tenant, u)} for u in uses]
        for i in range(0, len(rows), _BATCH):
            batch = rows[i : i + _BATCH]

            def run(tx: neo4j.ManagedTransaction, b: list[dict[str, Any]] = batch) -> None:
                tx.run("UNWIND $rows AS r MERGE (n:RuleUse {id: r.id}) SET n += r.props",
                       rows=b).consume()

            self._write(run, "recording rule uses")
        return len(rows)

    def rule_usage(
        self, tenant: str, since: datetime | None = None, rule_ids: Iterable[str] | None = None
    ) -> list[RuleUsage]:
        self._usage_schema()
        where = "n.at >= $since"
        params: dict[str, Any] = {
            "tenant": tenant, "since": to_ms(since) if since is not None else -(2**62)
        }
        if rule_ids is not None:
            where += " AND n.rule_id IN $ids"
            params["ids"] = sorted(set(rule_ids))
        rows = self._rows(
            f"MATCH (n:RuleUse {{tenant: $tenant}}) WHERE {where} "
            "RETURN n.rule_id AS rule_id, n.agent AS agent, "
            "sum(CASE WHEN n.kind = 'retrieved' THEN 1 ELSE 0 END) AS retrieved, "
            "sum(CASE WHEN n.kind = 'feedback' AND n.helped = 1 THEN 1 ELSE 0 END) AS helped, "
            "sum(CASE WHEN n.kind = 'feedback' AND n.helped = 0 THEN 1 ELSE 0 END) AS unhelpful, "
            "min(n.at) AS first_at, max(n.at) AS last_at",
            "reading rule uses",
            **params,
        )
        found = [
            RuleUsage(rule_id=r["rule_id"], agent=r["agent"], retrieved=r["retrieved"],
                      helped=r["helped"], unhelpful=r["unhelpful"],
                      first_at=from_ms(r["first_at"]), last_at=from_ms(r["last_at"]))
            for r in rows
        ]
        return sorted(found, key=lambda u: (u.rule_id, u.agent))

    def rule_feedback(self, tenant: str, rule_id: str, limit: int = 10) -> list[RuleUse]:
        self._usage_schema()
        rows = self._rows(
            "MATCH (n:RuleUse {tenant: $tenant, rule_id: $rule_id}) WHERE n.kind = 'feedback' "
            "RETURN n.id AS id, n.agent AS agent, n.at AS at, n.helped AS helped, "
            "n.note AS note, n.flags AS flags ORDER BY n.at DESC, n.id LIMIT $limit",
            "reading rule feedback",
            tenant=tenant, rule_id=rule_id, limit=limit,
        )
        return [
            RuleUse(id=r["id"], rule_id=rule_id, agent=r["agent"], kind="feedback",
                    at=_at(r["at"]), helped=None if r["helped"] is None else bool(r["helped"]),
                    note=r["note"] or "", flags=orjson.loads(r["flags"] or "[]"))
            for r in rows
        ]

    def erase_rule_uses(self, tenant: str, agents: Iterable[str]) -> int:
        self._usage_schema()
        names = sorted(set(agents))
        if not names:
            return 0

        def run(tx: neo4j.ManagedTransaction) -> int:
            record = tx.run(
                "MATCH (n:RuleUse {tenant: $tenant}) WHERE n.agent IN $agents "
                "DETACH DELETE n RETURN count(*) AS n",
                tenant=tenant, agents=names,
            ).single()
            return int(record["n"]) if record else 0

        return int(self._write(run, "erasing rule uses"))
