"""The workspace lock as commands take it: timeout from settings or environment.

Every command that writes rules or the audit log (``dream``, ``review``,
``forget``, ``audit verify``/``anchor``, which finish an interrupted command)
runs its writing part inside :func:`workspace_locked`: it is the lock of the
workspace :func:`reverie.cli.common.workspace_for` opens, which the stages take
through :meth:`~reverie.workspace.Workspace.locked`. The lock is re-entrant, so
a command may hold it around a stage that takes it again; a library caller
gets the same lock and timeout, without the message while it waits.
A bad timeout value (``ConfigError``) or a timeout (``WorkspaceBusy``) exits 2
at the CLI boundary (:mod:`reverie.cli.exits`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.markup import escape

from reverie.cli.common import err_console

if TYPE_CHECKING:
    from reverie.settings import Settings

__all__ = ["workspace_locked"]


def say_waiting(message: str) -> None:
    """Print whom the workspace lock waits for (``Workspace(on_wait=...)``)."""
    err_console.print(escape(message), highlight=False, soft_wrap=True)


@contextmanager
def workspace_locked(settings: Settings, command: str) -> Iterator[None]:
    """Hold the workspace lock for ``command``, saying whom it waits for while it waits."""
    from reverie.workspace import Workspace

    with Workspace(settings, on_wait=say_waiting).locked(command):
        yield
