"""Mining on both stores: the same corpus gives the same motifs, aggregates and evidence paths.

The ``store`` fixture runs the contract tests on the embedded store and on
the Bolt server; the parity tests mine one corpus in both and compare.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie.ingest.pipeline import ingest_paths
from reverie.mine import mine
from reverie.settings import Settings, TrustSettings
from reverie.store.base import GraphStore
from reverie.store.sqlite import SQLiteStore
from reverie.testing.planted import PLANTED, write_planted
from reverie.workspace import Workspace


def _planted_names(motifs) -> set[str]:  # type: ignore[no-untyped-def]
    return {
        p.name
        for p in PLANTED
        for m in motifs
        if m.tool == p.tool and m.program == p.program and p.marker in m.template
    }


def test_mining_finds_the_planted_motifs(store: GraphStore, tenant: str) -> None:
    write_planted(store, tenant, sessions=24, steps=30, seed=7)
    motifs = mine(store, tenant, min_sessions=3, min_agents=2)
    assert _planted_names(motifs) == {p.name for p in PLANTED}
    assert len(motifs) == len(PLANTED)
    assert [m.id for m in store.motifs(tenant)] == [m.id for m in motifs]
    again = mine(store, tenant, min_sessions=3, min_agents=2)
    assert [m.model_dump() for m in again] == [m.model_dump() for m in motifs]


def test_explain_path_from_motif_to_transcript_line(store: GraphStore, tenant: str) -> None:
    write_planted(store, tenant, sessions=12, steps=20, seed=3)
    motifs = mine(store, tenant, min_sessions=2, min_agents=2)
    assert motifs
    examples = store.failure_examples(
        tenant, [sid for m in motifs for sid in m.signature_ids], limit=2
    )
    assert examples
    for ex in examples:
        events = {e.id: e for e in store.events(tenant, session_id=ex.session_id)}
        event = events[ex.event_id]
        assert (event.source.file, event.source.line) == (ex.file, ex.line)
    per_signature: dict[str, int] = {}
    for ex in examples:
        per_signature[ex.signature_id] = per_signature.get(ex.signature_id, 0) + 1
    assert max(per_signature.values()) <= 2


def test_mining_results_are_per_tenant(store: GraphStore, tenant: str, new_tenant) -> None:  # type: ignore[no-untyped-def]
    other = new_tenant()
    write_planted(store, tenant, sessions=12, steps=20, seed=4)
    write_planted(store, other, sessions=12, steps=20, seed=4)
    mine(store, tenant, min_sessions=2, min_agents=2)
    assert store.motifs(other) == []
    assert store.signature_stats(other, {}) == []
    mine(store, other, min_sessions=2, min_agents=2)
    mine(store, tenant, min_sessions=2, min_agents=2)  # re-mining one tenant keeps the other's
    assert len(store.motifs(other)) == len(store.motifs(tenant)) > 0


def _aggregates(store, tenant: str) -> dict[str, list]:  # type: ignore[no-untyped-def]
    weights = {t: TrustSettings().weight(t) for t in ("operator", "user", "agent", "tool",
                                                     "external")}
    return {
        # sums of float weights may differ in the last bit with summation order
        "stats": sorted(s._replace(trust_support=round(s.trust_support, 9))
                        for s in store.signature_stats(tenant, weights)),
        "sessions": sorted(store.signature_sessions(tenant), key=lambda r: (r[0], r[1])),
        "recovery": sorted(store.recovery_stats(tenant), key=lambda r: r[:3]),
        "mining_sessions": sorted(store.mining_sessions(tenant)),
        "candidates": list(store.failure_candidates(tenant)),
    }


@pytest.mark.bolt
@pytest.mark.parametrize("corpus", ["planted", "real"])
def test_bolt_and_embedded_mine_the_same_motifs(
    corpus: str, bolt_target, tenant: str, real_data: Path, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    embedded = SQLiteStore(tmp_path / "e.db")
    bolt = bolt_target.open()
    try:
        for store in (embedded, bolt):
            if corpus == "planted":
                write_planted(store, tenant, sessions=30, steps=30, seed=11)
            else:
                ws = Workspace(Settings(root=tmp_path), store=store)
                ingest_paths(ws, tenant, [real_data], workers=1)
        threshold = {"min_sessions": 3, "min_agents": 2} if corpus == "planted" else {
            "min_sessions": 2, "min_agents": 1}
        got_e = mine(embedded, tenant, **threshold)
        got_b = mine(bolt, tenant, **threshold)
        assert got_e, "the corpus must yield motifs for the comparison to mean anything"
        assert [m.model_dump() for m in got_b] == [m.model_dump() for m in got_e]
        assert [m.model_dump() for m in bolt.motifs(tenant)] == [
            m.model_dump() for m in embedded.motifs(tenant)
        ]
        assert _aggregates(bolt, tenant) == _aggregates(embedded, tenant)
    finally:
        embedded.close()
        bolt.close()
