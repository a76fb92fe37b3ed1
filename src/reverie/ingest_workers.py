"""Parallel ingest: worker processes that each parse and write whole files.

Each worker opens its own store connection and writes each file in its own
transaction, exactly as the single-process path does. Workers parse in
parallel and take turns writing under one lock (SQLite has one writer at a
time, and its own lock waits by polling). Nothing large crosses processes: a
worker gets a path and returns the file's small
:class:`~reverie.ingest.FileResult`. A worker whose parent died stops before
writing another file.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from reverie.adapters.base import AdapterOptions
from reverie.adapters.registry import get_adapter
from reverie.errors import StoreError
from reverie.ingest import FileResult, _ingest_one, _Prepared
from reverie.settings import Settings
from reverie.store import open_store

__all__ = ["run_parallel"]

_STATE: dict[str, Any] = {}


def _start(
    settings: Settings,
    tenant: str,
    fmt: str,
    options: AdapterOptions,
    force: bool,
    parent: int,
    lock: Any,
) -> None:
    _STATE.update(
        lock=lock,
        store=open_store(settings),
        prepare=_Prepared(settings, tenant),
        fixed=None if fmt == "auto" else get_adapter(fmt),
        options=options,
        force=force,
        parent=parent,
    )


def _one(path: Path) -> FileResult:
    if os.getppid() != _STATE["parent"]:
        raise SystemExit("the ingest that started this worker is gone")
    return _ingest_one(
        _STATE["store"],
        _STATE["prepare"],
        path,
        _STATE["fixed"],
        _STATE["options"],
        _STATE["force"],
        _STATE["lock"],
    )


def run_parallel(
    job: tuple[Settings, str, str, AdapterOptions, bool], paths: list[Path], workers: int
) -> Iterator[FileResult]:
    """Results in the order of ``paths``."""
    context = multiprocessing.get_context("spawn")
    lock = context.Lock()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start,
        initargs=(*job, os.getpid(), lock),
    ) as pool:
        try:
            yield from pool.map(_one, paths, chunksize=1)
        except BrokenProcessPool as exc:
            raise StoreError(f"an ingest worker process died: {exc}") from exc
