"""Parallel ingest: worker processes that each parse and write whole files.

Each worker opens its own store connection and writes each file in its own
transaction, exactly as the single-process path does. Workers parse in
parallel and take turns writing under one lock (SQLite has one writer at a
time, and its own lock waits by polling). Nothing large crosses processes: a
worker gets a path and returns the file's small
:class:`~reverie.ingest.pipeline.FileResult`. A worker whose parent died stops before
writing another file.

What every worker reads at start and would otherwise create (the redaction
key) is made here first, before any worker starts. No file is lost with a
worker: a file whose worker raised, or died (which fails every file not yet
done, as the pool is then broken), is ingested again in this process. One
file is one transaction and ingest is idempotent, so a second try is safe; if
it fails too, its result is ``failed`` and names both reasons.

For tests only: a worker given the file that ``REVERIE_TEST_WORKER_EXIT``
names exits at once while holding the write lock, as a killed worker would.
Unset, it does nothing.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from reverie.adapters.base import Adapter, AdapterOptions
from reverie.adapters.registry import get_adapter
from reverie.errors import StoreError
from reverie.ingest.pipeline import FileResult, _ingest_one, _Prepared
from reverie.settings import Settings
from reverie.store import GraphStore, open_store

__all__ = ["run_parallel"]

_STATE: dict[str, Any] = {}
_EXIT_ON = "REVERIE_TEST_WORKER_EXIT"


def _start(
    settings: Settings,
    tenant: str,
    fmt: str,
    options: AdapterOptions,
    force: bool,
    parent: int,
    lock: Any,
) -> None:
    try:
        _STATE.update(
            lock=lock,
            store=open_store(settings),
            prepare=_Prepared(settings, tenant),
            fixed=None if fmt == "auto" else get_adapter(fmt),
            options=options,
            force=force,
            parent=parent,
        )
    except Exception as exc:  # a failed initializer kills the worker and hides why
        _STATE["broken"] = f"the worker could not start: {exc}"


def _one(path: Path) -> FileResult:
    if "broken" in _STATE:
        raise StoreError(_STATE["broken"])
    if os.getppid() != _STATE["parent"]:
        raise SystemExit("the ingest that started this worker is gone")
    if path.name == os.environ.get(_EXIT_ON):
        with _STATE["lock"]:
            os._exit(70)
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
    job: tuple[Settings, str, str, AdapterOptions, bool],
    paths: list[Path],
    workers: int,
    store: GraphStore,
) -> Iterator[FileResult]:
    """Results in the order of ``paths``.

    A file whose worker failed is ingested again into ``store``, this
    process's connection to the store that ``job``'s settings configure.
    """
    settings, tenant, fmt, options, force = job
    prepare = _Prepared(settings, tenant)  # makes the redaction key before workers read it
    fixed = None if fmt == "auto" else get_adapter(fmt)
    context = multiprocessing.get_context("spawn")
    lock = context.Lock()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start,
        initargs=(*job, os.getpid(), lock),
    ) as pool:
        futures = [_submit(pool, path) for path in paths]
        try:
            for path, future in zip(paths, futures, strict=True):
                try:
                    result = future.result()
                except Exception as exc:
                    result = _again(store, prepare, path, fixed, options, force, exc)
                yield result
        finally:
            pool.shutdown(cancel_futures=True)


def _submit(pool: ProcessPoolExecutor, path: Path) -> Future[FileResult]:
    try:
        return pool.submit(_one, path)
    except BrokenProcessPool as exc:  # a worker died while files were still being queued
        failed: Future[FileResult] = Future()
        failed.set_exception(exc)
        return failed


def _again(
    store: GraphStore,
    prepare: _Prepared,
    path: Path,
    fixed: Adapter | None,
    options: AdapterOptions,
    force: bool,
    failure: Exception,
) -> FileResult:
    """Ingest ``path`` here after its worker failed; a second failure is reported, not raised."""
    try:
        return _ingest_one(store, prepare, path, fixed, options, force)
    except Exception as exc:
        reason = f"failed in a worker ({_why(failure)}), then here ({_why(exc)})"
        return FileResult(file=str(path), error=reason, failed=True)


def _why(exc: BaseException) -> str:
    if isinstance(exc, BrokenProcessPool):
        return "a worker process died"
    return f"{type(exc).__name__}: {exc}"
