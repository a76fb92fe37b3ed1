"""A command's file changes as one recoverable unit: journal, apply, delete the journal.

A dream cycle or a review decision changes several files: the audit log (new
entries appended), its head file and rule files. A crash between two of those
writes would leave a log whose head does not match (a false tamper alarm) or
entries whose rule files were never written (the next dream proposes the same
ids again). So :func:`run` first writes every intended change to
``.reverie/journal.json`` (mode 0600, to a temporary file, fsync, then renamed
into place), applies the changes, fsyncs them and only then deletes the
journal. A ``private`` change (the audit key, made with the first keyed
entry) is written with mode 0600.

:func:`recover` runs whenever a command takes the workspace lock
(:meth:`reverie.audit.log.AuditLog.locked`):

- a complete journal (it parses and its digest matches) is **rolled forward**:
  every change is applied again. That is idempotent: an ``append`` cuts the
  file back to the size it had when the journal was written and appends the
  same bytes; a ``write`` replaces the whole file;
- an incomplete one (only the temporary file, or a journal that does not
  parse or whose digest does not match) was never applied: it is **rolled
  back**, i.e. discarded (an unreadable journal is kept beside as
  ``journal.json.bad`` for inspection).

The caller logs what recovery did. A journal only names files inside the
workspace (paths relative to the folder holding ``.reverie/``); one that names
any other file is not applied. Only a process holding the workspace lock
writes these files, so nothing can have changed them between the crash and
the recovery (except a person, which the audit log's own checks then report).

For tests only: ``REVERIE_TEST_CRASH_AT=<step>`` makes the process exit at once
(``os._exit``) when it reaches that step: ``journal-partial`` (half the
journal written), ``journal-written``, ``audit-partial`` (half the new audit
lines written), ``after-audit``, ``after-head``, ``after-rule`` (the first rule
file), ``applied`` (before the journal is deleted). Unset, it does nothing.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from reverie.errors import AuditError
from reverie.ids import make_id

__all__ = ["CRASH_ENV", "JOURNAL_NAME", "Op", "Recovery", "recover", "run"]

JOURNAL_NAME = "journal.json"
CRASH_ENV = "REVERIE_TEST_CRASH_AT"
CRASH_EXIT = 86


class Op(BaseModel):
    """One file change: append ``text`` at byte ``offset`` (cutting what follows), or write."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["append", "write"]
    path: str
    text: str
    offset: int = 0
    step: str = "file"
    private: bool = False


class _Journal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str
    ops: list[Op]
    digest: str


class Recovery(BaseModel):
    """What :func:`recover` did with an interrupted command's journal."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["roll_forward", "roll_back"]
    command: str | None = None
    reason: str
    files: list[str] = []


def _crash(step: str) -> None:
    if os.environ.get(CRASH_ENV) == step:
        os._exit(CRASH_EXIT)


def _digest(command: str, ops: list[Op]) -> str:
    return make_id("journal", command, [op.model_dump() for op in ops])


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(
    path: Path, data: bytes, crash_half: str | None = None, private: bool = False
) -> None:
    """Write ``data`` to a temporary file (mode 0600 if ``private``), fsync it, rename it."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        if crash_half is not None:
            fh.write(data[: len(data) // 2])
            fh.flush()
            _crash(crash_half)
        fh.write(data[len(data) // 2 :] if crash_half is not None else data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class _Refused(ValueError):
    """A journal that parses but must not be applied."""


def _relative(op: Op, state_dir: Path) -> Op:
    """``op`` with its path relative to the workspace (``state_dir``'s parent), so a journal
    still applies after the workspace folder was moved; a path outside it is a ValueError."""
    rel = os.path.relpath(Path(op.path).absolute(), state_dir.parent.absolute())
    if rel == ".." or rel.startswith(".." + os.sep):
        raise ValueError(f"{op.path} is outside the workspace {state_dir.parent}")
    return op.model_copy(update={"path": rel})


def _absolute(op: Op, state_dir: Path) -> Op:
    """The stored ``op`` made absolute again; a path that leaves the workspace is refused."""
    rel = os.path.normpath(op.path)
    if os.path.isabs(rel) or rel == ".." or rel.startswith(".." + os.sep):
        raise _Refused(f"it names {op.path!r}, outside the workspace")
    return op.model_copy(update={"path": str(state_dir.parent.absolute() / rel)})


def _apply(op: Op, crash: bool) -> bool:
    """Apply one change; False if it was a write that changed nothing."""
    path = Path(op.path)
    if op.kind == "write":
        data = op.text.encode("utf-8")
        with contextlib.suppress(OSError):
            if path.read_bytes() == data:
                return False
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_durably(path, data, private=op.private)
        return True
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size < op.offset:
            raise AuditError(
                f"{path} has {size} bytes, fewer than the {op.offset} it had when the interrupted "
                "command started: it was cut since. Restore it from a backup, then run "
                "`reverie audit verify`"
            )
        os.ftruncate(fd, op.offset)
        data = op.text.encode("utf-8")
        half = len(data) // 2
        os.pwrite(fd, data[:half], op.offset)
        if crash:
            _crash("audit-partial")
        os.pwrite(fd, data[half:], op.offset + half)
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def _apply_all(ops: list[Op], crash: bool = False) -> list[str]:
    changed, folders = [], set()
    for op in ops:
        if _apply(op, crash):
            changed.append(op.path)
            folders.add(Path(op.path).parent)
        if crash:
            _crash(f"after-{op.step}")
    for folder in sorted(folders):
        _fsync_dir(folder)
    return changed


def run(state_dir: Path, command: str, ops: list[Op]) -> list[str]:
    """Journal ``ops``, apply them, delete the journal; the paths that changed.

    The caller holds the workspace lock (and has recovered any earlier journal).
    """
    if not ops:
        return []
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / JOURNAL_NAME
    stored = [_relative(op, state_dir) for op in ops]
    journal = _Journal(command=command, ops=stored, digest=_digest(command, stored))
    data = orjson.dumps(journal.model_dump())  # private: it may carry a new audit key
    _write_durably(path, data, crash_half="journal-partial", private=True)
    _fsync_dir(state_dir)
    _crash("journal-written")
    changed = _apply_all(ops, crash=True)
    _crash("applied")
    path.unlink()
    _fsync_dir(state_dir)
    return changed


def recover(state_dir: Path) -> Recovery | None:
    """Finish or discard an interrupted command's journal (module docstring); None if none."""
    state_dir = Path(state_dir)
    path = state_dir / JOURNAL_NAME
    tmp = path.with_name(f".{path.name}.tmp")
    partial = tmp.exists()
    if partial:
        tmp.unlink()
    if not path.exists():
        if not partial:
            return None
        return Recovery(
            action="roll_back",
            reason="an interrupted command had not finished writing its journal; none of its "
            "changes had been applied, so it was discarded",
        )
    try:
        journal = _Journal.model_validate(orjson.loads(path.read_bytes()))
        if journal.digest != _digest(journal.command, journal.ops):
            raise _Refused("its digest does not match its content")
        ops = [_absolute(op, state_dir) for op in journal.ops]
    except (orjson.JSONDecodeError, ValidationError, ValueError) as exc:
        bad = path.with_name(f"{path.name}.bad")
        os.replace(path, bad)
        why = str(exc) if isinstance(exc, _Refused) else exc.__class__.__name__
        return Recovery(
            action="roll_back",
            reason=f"an interrupted command left an unreadable journal ({why}); "
            f"it was not applied and was kept as {bad.name}",
        )
    changed = _apply_all(ops)
    path.unlink()
    _fsync_dir(state_dir)
    return Recovery(
        action="roll_forward",
        command=journal.command,
        reason=f"an interrupted `{journal.command}` was completed from its journal",
        files=changed,
    )
