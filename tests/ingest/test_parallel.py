"""Parallel ingest writes exactly what a single process writes."""

from __future__ import annotations

from pathlib import Path

from reverie.ingest import ingest_paths
from reverie.settings import Settings
from reverie.store import GraphStore
from reverie.synth import write_corpus


def test_two_workers_match_one(workspace: Settings, store: GraphStore, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", sessions=6, steps=20, seed=5)
    serial = ingest_paths(workspace, store, [tmp_path / "corpus"], tenant="serial", workers=1)
    parallel = ingest_paths(workspace, store, [tmp_path / "corpus"], tenant="par", workers=2)
    assert serial.events == parallel.events == corpus.events
    assert parallel.new_events == corpus.events and parallel.files == 6
    ids = {t: {e.id for e in store.events(t)} for t in ("serial", "par")}
    assert len(ids["par"]) == corpus.events
    assert store.stats("serial").model_dump(exclude={"tenant"}) == store.stats("par").model_dump(
        exclude={"tenant"}
    )
