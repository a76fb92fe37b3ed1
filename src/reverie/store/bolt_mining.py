"""Mining persistence and aggregations for the Bolt store, in Cypher.

:class:`BoltMining` is a mixin of :class:`reverie.store.bolt.BoltStore` and
implements the mining methods of :class:`~reverie.store.base.GraphStore` the way
:class:`~reverie.store.sqlite_mining.SQLiteMining` does for the embedded
store: the same records, the same aggregates (``count(DISTINCT ...)``, ``sum``,
``min``/``max`` on the server, never the failures pulled back to count them),
so mining either store gives the same motifs.

Graph written here (labels and indexes in ``graph/neo4j.cypher``):
``(Failure)-[:OBSERVED_IN]->(Event)``, ``(Failure)-[:HAS_SIGNATURE]->(Signature)``,
``(Correction)-[:CORRECTS]->(Failure)``, ``(Motif)-[:GROUPS]->(Signature)``.
Each record also keeps the ids it points to as properties, so aggregates need
no traversal. A mining run replaces a tenant's records in idempotent batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import neo4j
import orjson

from reverie.epoch import to_ms
from reverie.models import TRUST_CLASSES, Correction, Failure, Motif, Signature
from reverie.store.mining_base import (
    FailureExample,
    MiningEvent,
    MiningSession,
    RecoveryStat,
    SignatureSession,
    SignatureStat,
)

__all__ = ["BoltMining"]

T = TypeVar("T")
_BATCH = 2_000
_LABELS = ("Motif", "Correction", "Failure", "Signature")
_MERGE = "UNWIND $rows AS r MERGE (n:{label} {{id: r.id}}) SET n += r.props"
_EDGE = (
    "UNWIND $rows AS r MATCH (a:{a} {{id: r.a}}) MATCH (b:{b} {{id: r.b}}) MERGE (a)-[:{rel}]->(b)"
)


def _failed(success: bool | None, reward: float | None) -> bool | None:
    """A session failed when its outcome says so: ``success`` first, else ``reward <= 0``."""
    if success is not None:
        return not success
    if reward is not None:
        return reward <= 0
    return None


def _batches(rows: Iterable[dict[str, Any]], size: int = _BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _props(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class BoltMining:
    """Mixin of :class:`~reverie.store.bolt.BoltStore`: failures, signatures, motifs."""

    # provided by BoltStore
    _write: Callable[..., Any]
    _rows: Callable[..., list[dict[str, Any]]]
    _per_session: Callable[..., Iterator[Any]]
    _source_paths: Callable[[str], dict[str, str]]

    # -- reading what mining needs ----------------------------------------------
    def failure_candidates(self, tenant: str) -> Iterator[MiningEvent]:
        """Every event of the tenant by session and ``seq``; assistant text is left out."""
        returns = (
            "[e.id, e.session_id, e.seq, e.kind, e.role, e.trust, e.tool, "
            "CASE WHEN e.kind = 'message' AND e.role = 'assistant' THEN null ELSE e.text END, "
            "e.tool_input, e.is_error, e.exit_code, e.answers_id, e.ts, "
            "coalesce(e.input_tokens, 0) + coalesce(e.output_tokens, 0), e.flags]"
        )
        for r in self._per_session(tenant, returns, "reading events for mining"):
            flags = r[14]
            yield MiningEvent(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], bool(r[9]), r[10], r[11],
                r[12], r[13], orjson.dumps(list(flags)).decode() if flags else None,
            )

    def mining_sessions(self, tenant: str) -> Iterator[MiningSession]:
        rows = self._rows(
            "MATCH (s:Session {tenant: $tenant}) OPTIONAL MATCH (o:Outcome {id: 'o' + s.id}) "
            "RETURN s.id AS id, s.agent AS agent, o.success AS success, o.reward AS reward",
            "reading sessions for mining",
            tenant=tenant,
        )
        for r in rows:
            yield MiningSession(r["id"], r["agent"], _failed(r["success"], r["reward"]))

    # -- writing ------------------------------------------------------------------
    def _delete(self, tenant: str, label: str) -> None:
        query = (
            f"MATCH (n:{label} {{tenant: $tenant}}) WITH n LIMIT 10000 "
            "DETACH DELETE n RETURN count(*) AS n"
        )
        while self._write(
            lambda tx: tx.run(query, tenant=tenant).single()["n"], f"deleting {label} nodes"
        ):
            pass

    def _merge(self, label: str, rows: Iterable[dict[str, Any]],
               edges: Iterable[tuple[str, str, str]] = ()) -> None:
        """MERGE nodes in batches; each edge ``(rel, key, label)`` links ``props[key]``.

        A node and its edges go in one statement (rows grouped by which edges they
        have), so the new node is not looked up again per edge; a batch whose edge
        ends were not all found is written again node first, edge by edge.
        """
        edges = list(edges)

        def work(batch: list[dict[str, Any]]) -> Callable[[neo4j.ManagedTransaction], None]:
            def run(tx: neo4j.ManagedTransaction) -> None:
                groups: dict[tuple[tuple[str, str, str], ...], list[dict[str, Any]]] = {}
                for r in batch:
                    present = tuple(e for e in edges if r["props"].get(e[1]))
                    groups.setdefault(present, []).append(r)
                for present, group in groups.items():
                    found = tx.run(_node_with_edges(label, present), rows=group).single()
                    if found is None or found["n"] < len(group):
                        _merge_apart(tx, label, group, present)
            return run

        for batch in _batches(rows):
            self._write(work(batch), f"writing {label} nodes")

    def write_mining(
        self,
        tenant: str,
        failures: Iterable[Failure],
        signatures: Iterable[Signature],
        corrections: Iterable[Correction],
    ) -> None:
        """Replace the tenant's failures, signatures, corrections and motifs."""
        for label in _LABELS:
            self._delete(tenant, label)
        self._merge("Signature", (
            {"id": s.id, "props": _props(id=s.id, tenant=tenant, tool=s.tool, program=s.program,
                                         error_class=s.error_class, template=s.template)}
            for s in signatures
        ))
        self._merge("Failure", (
            {"id": f.id, "props": _props(
                id=f.id, tenant=tenant, event_id=f.event_id, session_id=f.session_id,
                agent=f.agent, kind=f.kind, detector=f.detector, tool=f.tool, program=f.program,
                text=f.text, signature_id=f.signature_id, trust=f.trust, ts=to_ms(f.timestamp))}
            for f in failures
        ), [("OBSERVED_IN", "event_id", "Event"), ("HAS_SIGNATURE", "signature_id", "Signature")])
        self._merge("Correction", (
            {"id": c.id, "props": _props(
                id=c.id, tenant=tenant, failure_id=c.failure_id, event_id=c.event_id,
                kind=c.kind, summary=c.summary, steps=c.steps, tokens=c.tokens)}
            for c in corrections
        ), [("CORRECTS", "failure_id", "Failure")])

    def write_motifs(self, tenant: str, motifs: Iterable[Motif]) -> None:
        """Replace the tenant's motifs and their ``GROUPS`` edges."""
        self._delete(tenant, "Motif")
        motifs = list(motifs)
        self._merge("Motif", (
            {"id": m.id, "props": _props(id=m.id, tenant=tenant, score=m.score,
                                         template=m.template, kind=m.kind, support=m.support,
                                         trust_support=m.trust_support,
                                         signature_ids=list(m.signature_ids),
                                         body=m.model_dump_json())}
            for m in motifs
        ))
        links = [{"a": m.id, "b": sid} for m in motifs for sid in m.signature_ids]
        for batch in _batches(links):
            self._write(
                lambda tx, b=batch: tx.run(
                    _EDGE.format(a="Motif", b="Signature", rel="GROUPS"), rows=b
                ).consume(),
                "writing motif edges",
            )

    # -- aggregates -----------------------------------------------------------------
    def signature_stats(
        self, tenant: str, trust_weights: Mapping[str, float]
    ) -> list[SignatureStat]:
        cases = " ".join(f"WHEN '{t}' THEN $w_{t}" for t in TRUST_CLASSES)
        weights = {f"w_{t}": float(trust_weights.get(t, 0.0)) for t in TRUST_CLASSES}
        rows = self._rows(
            "MATCH (f:Failure {tenant: $tenant}) WHERE f.signature_id IS NOT NULL "
            "RETURN f.signature_id AS sid, max(f.kind) AS kind, count(*) AS n, "
            "count(DISTINCT f.session_id) AS sessions, count(DISTINCT f.agent) AS agents, "
            f"sum(CASE f.trust {cases} ELSE 0.0 END) AS support, min(f.ts) AS first, "
            "max(f.ts) AS last",
            "aggregating signatures",
            tenant=tenant,
            **weights,
        )
        return sorted(
            SignatureStat(r["sid"], r["kind"], r["n"], r["sessions"], r["agents"],
                          float(r["support"]), r["first"], r["last"])
            for r in rows
        )

    def signature_sessions(self, tenant: str) -> list[SignatureSession]:
        rows = self._rows(
            "MATCH (f:Failure {tenant: $tenant}) WHERE f.signature_id IS NOT NULL "
            "WITH DISTINCT f.signature_id AS sid, f.session_id AS session, f.agent AS agent "
            "OPTIONAL MATCH (o:Outcome {id: 'o' + session}) "
            "RETURN sid, session, agent, o.success AS success, o.reward AS reward",
            "reading signature sessions",
            tenant=tenant,
        )
        return sorted(
            SignatureSession(r["sid"], r["session"], r["agent"], _failed(r["success"], r["reward"]))
            for r in rows
        )

    def recovery_stats(self, tenant: str) -> list[RecoveryStat]:
        rows = self._rows(
            "MATCH (c:Correction {tenant: $tenant}) MATCH (f:Failure {id: c.failure_id}) "
            "WHERE f.signature_id IS NOT NULL "
            "OPTIONAL MATCH (e:Event {id: c.event_id}) "
            "RETURN f.signature_id AS sid, c.kind AS kind, c.summary AS summary, count(*) AS n, "
            "avg(c.steps) AS steps, avg(c.tokens) AS tokens, avg(e.ts - f.ts) AS ms",
            "aggregating recoveries",
            tenant=tenant,
        )
        # in group-key order, as SQLite's GROUP BY gives them (ties are broken by order)
        return sorted(
            RecoveryStat(r["sid"], r["kind"], r["summary"], r["n"], float(r["steps"]),
                         float(r["tokens"]), None if r["ms"] is None else float(r["ms"]))
            for r in rows
        )

    def failure_examples(
        self, tenant: str, signature_ids: Iterable[str], limit: int = 3
    ) -> list[FailureExample]:
        """Up to ``limit`` per signature: earliest first, one per session before repeats."""
        ids = list(dict.fromkeys(signature_ids))
        if not ids:
            return []
        rows = self._rows(
            "MATCH (f:Failure {tenant: $tenant}) WHERE f.signature_id IN $ids "
            "MATCH (e:Event {id: f.event_id}) "
            "RETURN f.signature_id AS sid, f.id AS id, f.event_id AS event, "
            "f.session_id AS session, f.ts AS ts, e.source_id AS source, e.line AS line",
            "reading failure examples",
            tenant=tenant,
            ids=ids,
        )
        paths = self._source_paths(tenant)
        return _pick_examples([r for r in rows if r["source"] in paths], paths, limit)

    def motifs(self, tenant: str) -> list[Motif]:
        rows = self._rows(
            "MATCH (m:Motif {tenant: $tenant}) RETURN m.body AS body, m.score AS score, "
            "m.id AS id ORDER BY score DESC, id",
            "reading motifs",
            tenant=tenant,
        )
        return [Motif.model_validate(orjson.loads(r["body"])) for r in rows]


def _node_with_edges(label: str, edges: tuple[tuple[str, str, str], ...]) -> str:
    """One statement: each row's edge ends, then its node, then the edges."""
    ends = "".join(
        f"MATCH (b{i}:{other} {{id: r.props.{key}}}) " for i, (_, key, other) in enumerate(edges)
    )
    links = "".join(f"MERGE (n)-[:{rel}]->(b{i}) " for i, (rel, _, _) in enumerate(edges))
    return (
        f"UNWIND $rows AS r {ends}MERGE (n:{label} {{id: r.id}}) SET n += r.props "
        f"{links}RETURN count(DISTINCT n) AS n"
    )


def _merge_apart(
    tx: neo4j.ManagedTransaction, label: str, rows: list[dict[str, Any]],
    edges: tuple[tuple[str, str, str], ...],
) -> None:
    """Nodes first, then each edge whose end exists (an end may be gone: nothing links)."""
    tx.run(_MERGE.format(label=label), rows=rows).consume()
    for rel, key, other in edges:
        links = [{"a": r["id"], "b": r["props"][key]} for r in rows]
        tx.run(_EDGE.format(a=label, b=other, rel=rel), rows=links).consume()


def _pick_examples(
    rows: list[dict[str, Any]], paths: dict[str, str], limit: int
) -> list[FailureExample]:
    """Rank as the embedded store's window query does: per session by (ts, id), then overall."""

    def when(r: dict[str, Any]) -> tuple[bool, int, str]:  # SQL puts NULL times first
        return (r["ts"] is not None, r["ts"] or 0, r["id"])

    rows.sort(key=when)
    rank: dict[tuple[str, str], int] = {}
    keyed = []
    for r in rows:
        k = rank.get((r["sid"], r["session"]), 0) + 1
        rank[(r["sid"], r["session"])] = k
        keyed.append((r["sid"], k, *when(r), r))
    keyed.sort(key=lambda x: x[:5])
    out: list[FailureExample] = []
    taken: dict[str, int] = {}
    for sid, *_, r in keyed:
        if taken.get(sid, 0) < limit:
            taken[sid] = taken.get(sid, 0) + 1
            out.append(FailureExample(sid, r["id"], r["event"], r["session"],
                                      paths[r["source"]], r["line"] or 0))
    return out
