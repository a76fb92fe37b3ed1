"""Parallel ingest writes exactly what a single process writes, and loses no file with a worker."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

import reverie.ingest.workers
from reverie.errors import ConfigError, StoreError
from reverie.ingest.pipeline import FileResult, discover, ingest_paths
from reverie.redact.redactor import key_path, load_or_create_key
from reverie.settings import Settings
from reverie.store import GraphStore, open_store
from reverie.synth import write_corpus
from reverie.workspace import Workspace, init_workspace


def _same_store(store: GraphStore, a: str, b: str) -> None:
    """Two tenants hold the same data (ids differ: they hash the tenant)."""
    assert len(list(store.events(a))) == len(list(store.events(b)))
    assert store.stats(a).model_dump(exclude={"tenant"}) == store.stats(b).model_dump(
        exclude={"tenant"}
    )


def test_two_workers_match_one(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    corpus = write_corpus(tmp_path / "corpus", sessions=6, steps=20, seed=5)
    serial = ingest_paths(space, "serial", [tmp_path / "corpus"], workers=1)
    parallel = ingest_paths(space, "par", [tmp_path / "corpus"], workers=2)
    assert serial.events == parallel.events == corpus.events
    assert parallel.new_events == corpus.events and parallel.files == 6
    ids = {t: {e.id for e in store.events(t)} for t in ("serial", "par")}
    assert len(ids["par"]) == corpus.events
    _same_store(store, "serial", "par")


def _spy_on_retries(monkeypatch: pytest.MonkeyPatch) -> dict[Path, str]:
    """The files the parent ingested again, with why their worker failed."""
    retried: dict[Path, str] = {}
    again = reverie.ingest.workers._again

    def spy(*args: Any) -> FileResult:
        retried[args[2]] = type(args[-1]).__name__
        return again(*args)

    monkeypatch.setattr(reverie.ingest.workers, "_again", spy)
    return retried


def test_parallel_ingest_into_fresh_workspaces_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #12: 5 in 60 such runs (250 files) lost the whole ingest to a dead worker.

    Both workers created the fresh workspace's redaction key at once and one
    read it empty (the test below catches that every time). A worker that
    fails now costs no file, so this asserts that no file needed a second try.
    """
    corpus = write_corpus(tmp_path / "corpus", sessions=40, steps=2, seed=12)
    retried = _spy_on_retries(monkeypatch)
    for run in range(12):
        settings = init_workspace(tmp_path / f"ws{run}")
        store = open_store(settings)
        try:
            ws = Workspace(settings, store=store)
            summary = ingest_paths(ws, ws.tenant, [tmp_path / "corpus"], workers=2)
        finally:
            store.close()
        counts = (summary.files, summary.events, summary.new_events)
        assert counts == (40, corpus.events, corpus.events), run
        assert summary.errors == summary.skipped == [] and retried == {}, run


def test_a_process_arriving_while_the_key_is_written_reads_the_same_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race behind the flake, made certain: another process asks for the key mid-write."""
    path = tmp_path / ".reverie" / "redact.key"
    token_bytes, theirs = secrets.token_bytes, []

    def another_process_arrives(n: int) -> bytes:
        monkeypatch.setattr(secrets, "token_bytes", token_bytes)
        theirs.append(load_or_create_key(path))
        return token_bytes(n)

    monkeypatch.setattr(secrets, "token_bytes", another_process_arrives)
    assert load_or_create_key(path) == theirs[0] == load_or_create_key(path)
    assert len(theirs[0]) == 32


def _corpus(tmp_path: Path) -> tuple[Path, list[Path], int]:
    stats = write_corpus(tmp_path / "corpus", sessions=24, steps=6, seed=7)
    return tmp_path / "corpus", [p for p, _ in discover([tmp_path / "corpus"])], stats.events


def test_a_killed_worker_loses_no_file(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, files, events = _corpus(tmp_path)
    monkeypatch.setenv("REVERIE_TEST_WORKER_EXIT", files[5].name)
    retried = _spy_on_retries(monkeypatch)
    seen: list[Path] = []
    summary = ingest_paths(space, "par", [folder], workers=2, on_file=lambda p, _: seen.append(p))
    assert seen == files
    assert retried[files[5]] == "BrokenProcessPool"
    assert (summary.files, summary.events, summary.new_events) == (24, events, events)
    assert summary.errors == summary.skipped == []
    ingest_paths(space, "serial", [folder], workers=1)
    _same_store(store, "serial", "par")


def test_workers_that_cannot_start_lose_no_file(
    workspace: Settings, store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, files, events = _corpus(tmp_path)
    retried = _spy_on_retries(monkeypatch)
    unopenable = workspace.store.model_copy(update={"path": "."})  # a folder, not a database
    settings = workspace.model_copy(update={"store": unopenable})
    summary = ingest_paths(Workspace(settings, store=store), settings.tenant, [folder], workers=2)
    assert (summary.files, summary.events, summary.new_events) == (24, events, events)
    assert list(retried) == files and set(retried.values()) == {"StoreError"}


def test_a_file_that_fails_again_is_reported_by_name(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, files, events = _corpus(tmp_path)
    victim = files[5]
    monkeypatch.setenv("REVERIE_TEST_WORKER_EXIT", victim.name)
    ingest_here = reverie.ingest.workers._ingest_one

    def fail_on_victim(*args: object) -> FileResult:
        if args[2] == victim:
            raise StoreError("disk full")
        return ingest_here(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(reverie.ingest.workers, "_ingest_one", fail_on_victim)
    summary = ingest_paths(space, "par", [folder], workers=2)
    assert summary.errors == [
        {
            "file": str(victim),
            "reason": "failed in a worker (a worker process died), "
            "then here (StoreError: disk full)",
        }
    ]
    assert summary.files == 23 and summary.skipped == []
    others = [f for f in files if f != victim]
    serial = ingest_paths(space, "serial", others, workers=1)
    assert summary.events == serial.events < events
    _same_store(store, "serial", "par")


def test_a_bad_redaction_key_stops_before_any_worker_starts(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    folder, _, _ = _corpus(tmp_path)
    key_path(workspace).parent.mkdir(parents=True, exist_ok=True)
    key_path(workspace).write_text("not a key\n")
    with pytest.raises(ConfigError, match="not a redaction key"):
        ingest_paths(space, space.tenant, [folder], workers=2)
