"""What ``reverie watch`` keeps between runs, per tenant, in ``.reverie/watch/``.

``<tenant>.json`` holds what a restart must not forget:

- ``pending``: events were ingested that no dream has seen yet (set when an
  ingest adds events, cleared when a cycle succeeds), so a watch stopped between
  its ingest and its dream dreams at its next start; ``ingesting`` is set while
  files are ingested, so a watch killed then (whose new events nobody counted)
  dreams at its next start too;
- ``exported``: for each ``--export`` target, the digest of the approved rules
  it was last written from, so a restart (or ``--once`` from cron) exports only
  when the approved rules changed.

``<tenant>.lock`` is held (``flock``) while a watch runs: two watches of one
tenant would ingest and dream twice over; the second one stops at once.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reverie.errors import WorkspaceBusy

__all__ = ["WatchState", "load_state", "save_state", "watch_lock"]


class WatchState(BaseModel):
    """``pending`` and ``exported`` (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    pending: bool = False
    ingesting: bool = False
    exported: dict[str, str] = Field(default_factory=dict)


def _path(folder: Path, tenant: str, suffix: str) -> Path:
    return Path(folder) / f"{tenant}{suffix}"


def load_state(folder: Path, tenant: str) -> WatchState:
    """The tenant's state; a missing or unreadable file is a fresh start (and dreams once)."""
    path = _path(folder, tenant, ".json")
    try:
        state = WatchState.model_validate(orjson.loads(path.read_bytes()))
    except FileNotFoundError:
        return WatchState()
    except (OSError, orjson.JSONDecodeError, ValidationError):
        return WatchState(pending=True)
    if state.ingesting:  # killed while ingesting: what it added is owed a dream
        state.pending, state.ingesting = True, False
    return state


def save_state(folder: Path, tenant: str, state: WatchState) -> None:
    """Write the tenant's state whole (aside, then renamed into place)."""
    path = _path(folder, tenant, ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(orjson.dumps(state.model_dump(mode="json")))
    os.replace(tmp, path)


@contextmanager
def watch_lock(folder: Path, tenant: str) -> Iterator[None]:
    """Hold the tenant's watch lock; :class:`WorkspaceBusy` if another watch holds it."""
    path = _path(folder, tenant, ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise WorkspaceBusy(
                f"another `reverie watch` runs for tenant {tenant!r} in this workspace "
                f"(pid {holder}); stop it first, or watch another tenant"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
