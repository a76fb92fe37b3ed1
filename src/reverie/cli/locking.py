"""The workspace lock as commands take it: timeout from settings or environment, exit 2.

Every command that writes rules or the audit log (``dream``, ``review``,
``forget``, ``audit verify``/``anchor``, which finish an interrupted command)
runs its writing part inside :func:`workspace_locked`. The library takes the
same lock again inside (it is re-entrant), so a library caller is safe too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from rich.markup import escape

from reverie.audit.lock import timeout_from
from reverie.audit.log import AuditLog
from reverie.cli.common import err_console, fail
from reverie.errors import ConfigError, WorkspaceBusy
from reverie.settings import Settings

__all__ = ["workspace_locked"]


def _say(message: str) -> None:
    err_console.print(escape(message), highlight=False, soft_wrap=True)


@contextmanager
def workspace_locked(settings: Settings, command: str) -> Iterator[None]:
    """Hold the workspace lock for ``command``; a timeout or a bad timeout value exits 2."""
    try:
        timeout = timeout_from(settings.lock.timeout, os.environ)
    except ConfigError as exc:
        raise fail(str(exc), 2) from exc
    try:
        with AuditLog(settings.state_dir).locked(command, timeout=timeout, on_wait=_say):
            yield
    except WorkspaceBusy as exc:
        raise fail(str(exc), 2) from exc
