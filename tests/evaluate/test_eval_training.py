"""Training in scratch space: the same motifs as the store's mining, and no held-out leak."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reverie.evaluate.profile import profile_store
from reverie.evaluate.split import SessionKey, split_sessions
from reverie.evaluate.training import ScratchMining, train_rules
from reverie.ingest.pipeline import ingest_paths
from reverie.mine import mine
from reverie.mine.fixes import fixes_by_signature
from reverie.mine.motifs import build_motifs
from reverie.mine.signature import assign_signatures
from reverie.models import TRUST_CLASSES
from reverie.settings import Settings
from reverie.workspace import Workspace


def _corpus(store: Any, tenant: str = "default") -> Any:
    return profile_store(store, tenant, store.sessions(tenant), store.outcomes(tenant))


def test_scratch_mining_gives_the_stores_motifs(workspace: Settings, store: Any, space: Workspace,
                                                real_data: Path) -> None:
    ingest_paths(space, space.tenant, [real_data / "tau_bench"])
    expected = mine(store, "default", min_sessions=3, min_agents=2)
    corpus = _corpus(store)
    signatures = assign_signatures("default", corpus.failures)
    failed = {sid: None if p.success is None else not p.success
              for sid, p in corpus.sessions.items()}
    scratch = ScratchMining(store, "default", corpus.failures, corpus.corrections,
                            corpus.fix_ms, failed)
    known = [v for v in failed.values() if v is not None]
    got = build_motifs(scratch, "default", signatures, min_sessions=3, min_agents=2,  # type: ignore[arg-type]
                       trust_weights={t: workspace.trust.weight(t) for t in TRUST_CLASSES},
                       failed_sessions=sum(known), known_sessions=len(known),
                       fixes=fixes_by_signature(corpus.failures, corpus.corrections))
    assert expected, "the tau-bench sample has recurring failures"
    assert [m.model_dump() for m in got] == [m.model_dump() for m in expected]
    assert scratch.signature_stats("other", {}) == []  # nothing crosses tenants


def test_training_rules_never_see_held_out_sessions(
    workspace: Settings, store: Any, space: Workspace, real_data: Path
) -> None:
    ingest_paths(space, space.tenant, [real_data / "tau_bench"])
    corpus = _corpus(store)
    keys = [SessionKey(id=p.id, agent=p.agent, start=p.start, order=p.order)
            for p in corpus.sessions.values()]
    sp = split_sessions(keys, "random", 0.4, seed=2)
    train = set(sp.train)
    failures = [f for f in corpus.failures if f.session_id in train]
    ids = {f.id for f in failures}
    training = train_rules(
        space, "default", failures,
        [c for c in corpus.corrections if c.failure_id in ids], corpus.fix_ms,
        {sid: None for sid in train}, train,
    )
    assert training.rules
    for rule in training.rules:
        assert set(rule.evidence.sessions) <= train
        assert {e.session_id for e in rule.evidence.events} <= train
        assert rule.evidence.events, "examples carry the file and line of their events"
    assert not list((workspace.root / "rules").glob("R-0004.md"))  # nothing written there
    assert store.motifs("default") == []  # the store's mining tables are untouched


def test_signatures_from_precomputed_texts_equal_minings(
    workspace: Settings, store: Any, space: Workspace, real_data: Path
) -> None:
    from reverie.evaluate.signatures import assign_with_texts

    ingest_paths(space, space.tenant, [real_data / "tau_bench"])
    ingest_paths(space, space.tenant, [real_data / "claude_code"])
    corpus = _corpus(store)
    assert len(corpus.texts) == len(corpus.failures) > 50
    ours = assign_with_texts("default", corpus.failures, corpus.texts)
    ids = [f.signature_id for f in corpus.failures]
    theirs = assign_signatures("default", corpus.failures)
    assert ours == theirs and ids == [f.signature_id for f in corpus.failures]
