"""One lock per workspace, taken by every command that writes rules or the audit log.

:func:`workspace_lock` holds an exclusive ``fcntl.flock`` on
``.reverie/workspace.lock`` for the length of a ``with`` block. While it holds
the lock it keeps ``<pid> <command>`` in that file, so a command that has to
wait says on stderr whom it waits for::

    waiting for the workspace lock held by pid 4242 (reverie dream) ...

and gives up after ``timeout`` seconds with :class:`~reverie.errors.WorkspaceBusy`
(the CLI exits 2). The operating system releases a ``flock`` when its holder
exits or is killed, so a crashed command never leaves a stale lock behind.

The lock is re-entrant within one process: a nested ``workspace_lock`` for the
same folder (``forget`` runs a dream; ``review`` appends to the audit log) shares
the outer hold, and ``on_acquire`` runs once, when the outermost block takes
the lock. Other threads of the process wait like other processes do, and a
forked child never inherits its parent's hold.

:func:`timeout_from` turns the ``[lock] timeout`` setting and the
``REVERIE_LOCK_TIMEOUT`` variable (which wins) into seconds.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from reverie.errors import ConfigError, WorkspaceBusy

__all__ = [
    "DEFAULT_TIMEOUT",
    "LOCK_NAME",
    "TIMEOUT_ENV",
    "holder",
    "timeout_from",
    "workspace_lock",
]

LOCK_NAME = "workspace.lock"
TIMEOUT_ENV = "REVERIE_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 60.0


@dataclass
class _Hold:
    """This process's hold on one lock file: its descriptor, nesting depth and thread lock."""

    thread_lock: threading.RLock = field(default_factory=threading.RLock)
    fd: int = -1
    depth: int = 0


_GUARD = threading.Lock()
_HOLDS: dict[Path, _Hold] = {}
_PID = os.getpid()


def _hold_for(path: Path) -> _Hold:
    """The hold record of ``path`` in this process (a forked child starts with none)."""
    global _PID
    with _GUARD:
        if os.getpid() != _PID:  # a forked child: the parent's holds are not ours
            for inherited in _HOLDS.values():
                if inherited.fd >= 0:  # closing our copy leaves the parent's lock alone
                    os.close(inherited.fd)
            _HOLDS.clear()
            _PID = os.getpid()
        return _HOLDS.setdefault(path, _Hold())


def holder(path: Path) -> str:
    """Who holds the lock file ``path``, as it wrote itself there ("pid N (command)")."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    pid, _, command = text.partition(" ")
    if not pid.isdigit():
        return "another command"
    return f"pid {pid} ({command or 'reverie'})"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _acquire(fd: int, path: Path, timeout: float, on_wait: Callable[[str], None]) -> None:
    deadline = time.monotonic() + timeout
    pause, announced = 0.005, False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        who = holder(path)
        if not announced:
            on_wait(f"waiting for the workspace lock held by {who} ...")
            announced = True
        left = deadline - time.monotonic()
        if left <= 0:
            raise WorkspaceBusy(
                f"{path}: the workspace lock is still held by {who} after {timeout:g} s; "
                "let that command finish and run this one again, or wait longer: set "
                f"[lock] timeout in reverie.toml or {TIMEOUT_ENV} (seconds)"
            )
        time.sleep(min(pause, left))  # flock has no timeout of its own: poll, backing off
        pause = min(pause * 2, 0.1)


@contextmanager
def workspace_lock(
    state_dir: Path,
    command: str,
    *,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
    on_acquire: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold the workspace lock in ``state_dir`` (see the module docstring).

    ``timeout`` seconds (default 60) to wait for another holder; ``on_wait``
    is told once that this call waits (default: a line on stderr);
    ``on_acquire`` runs when the outermost block has just taken the lock.
    """
    path = (Path(state_dir) / LOCK_NAME).resolve()
    hold = _hold_for(path)
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    say = on_wait or _say
    if not hold.thread_lock.acquire(blocking=False):
        say(f"waiting for the workspace lock held by another thread of pid {os.getpid()} ...")
        if not hold.thread_lock.acquire(timeout=min(limit, threading.TIMEOUT_MAX)):
            raise WorkspaceBusy(
                f"{path}: the workspace lock is still held by another thread of this process "
                f"after {limit:g} s"
            )
    try:
        if hold.depth == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _acquire(fd, path, limit, say)
            except BaseException:
                os.close(fd)
                raise
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {command}\n".encode(), 0)
            hold.fd = fd
        hold.depth += 1
        try:
            if hold.depth == 1 and on_acquire is not None:
                on_acquire()
            yield
        finally:
            hold.depth -= 1
            if hold.depth == 0:
                fd, hold.fd = hold.fd, -1
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
    finally:
        hold.thread_lock.release()


def timeout_from(setting: float, environ: Mapping[str, str]) -> float:
    """Seconds to wait for the lock: ``REVERIE_LOCK_TIMEOUT`` if set, else the setting."""
    raw = environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return setting
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also rejects nan
        raise ConfigError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds (e.g. 60 or 0.5)")
    return value
