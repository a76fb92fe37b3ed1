"""What every command shares: the workspace option, settings, the store or workspace, output.

Cheap to import (``reverie --help`` loads it): the settings and the store are
imported when a command resolves its workspace, not before.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reverie.cli.terminal import SafeConsole
from reverie.names import check_tenant

if TYPE_CHECKING:
    from reverie.settings import Settings
    from reverie.store import GraphStore
    from reverie.workspace import Workspace

__all__ = [
    "JsonOpt",
    "TenantOpt",
    "WorkspaceOpt",
    "console",
    "err_console",
    "outer_workspace",
    "print_json",
    "resolve",
    "store_for",
    "workspace_for",
]

# Every command prints through these: control characters in any printed text show as
# visible escapes (see reverie.cli.terminal); tables of data are reverie.cli.terminal.DataTable.
console = SafeConsole()
err_console = SafeConsole(stderr=True)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: the -w before the command, else the nearest folder "
        "upward holding reverie.toml).",
        show_default=False,
    ),
]

# ``reverie -w DIR COMMAND``: the workspace given before the command, for the length of
# one invocation (set by the root group, see reverie.cli.root). A command's own -w wins.
outer_workspace: ContextVar[Path | None] = ContextVar("outer_workspace", default=None)


def _tenant_option(value: str | None) -> str | None:
    """``--tenant`` checked where it enters (see :mod:`reverie.names`): a bad one exits 2."""
    try:
        return None if value is None else check_tenant(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


TenantOpt = Annotated[
    str | None,
    typer.Option(
        "--tenant",
        "-t",
        help="Tenant to act on (default: `tenant` in reverie.toml).",
        callback=_tenant_option,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]


def resolve(workspace: Path | None) -> Settings:
    """Find and load the workspace's settings once, at the command's entry.

    ``workspace`` is the command's own ``-w``; without it, the ``-w`` given before the
    command; without either, the nearest folder upward holding reverie.toml. A missing
    or broken workspace raises (exit 2 at the CLI boundary, see reverie.cli.exits).
    """
    from reverie.settings import find_workspace, load_settings

    chosen = workspace if workspace is not None else outer_workspace.get()
    return load_settings(chosen if chosen is not None else find_workspace(Path.cwd()))


@contextmanager
def store_for(settings: Settings) -> Iterator[GraphStore]:
    """Open the workspace's store for the length of a command."""
    from reverie.store import open_store

    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def workspace_for(settings: Settings) -> Iterator[Workspace]:
    """The workspace as the stages take it, for the length of a command.

    Its store opens on first use and is closed when the command ends; while
    its lock waits, it says for whom (:func:`reverie.cli.locking.say_waiting`).
    """
    from reverie.cli.locking import say_waiting
    from reverie.workspace import Workspace

    with Workspace(settings, on_wait=say_waiting) as ws:
        yield ws


def print_json(data: Any) -> None:
    """Print ``data`` as one indented JSON document on stdout."""
    import orjson

    sys.stdout.write(
        orjson.dumps(
            data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str
        ).decode()
        + "\n"
    )
    sys.stdout.flush()
