"""What every command shares: the workspace option, settings, the store, output."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape

from reverie.cli.terminal import SafeConsole
from reverie.errors import ConfigError, InputError, ReverieError
from reverie.names import check_tenant
from reverie.settings import Settings, find_workspace, load_settings
from reverie.store import GraphStore, open_store

__all__ = [
    "JsonOpt",
    "TenantOpt",
    "WorkspaceOpt",
    "console",
    "err_console",
    "error_code",
    "fail",
    "print_json",
    "resolve",
    "store_for",
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
        help="Workspace folder (default: the nearest folder upward holding reverie.toml).",
        show_default=False,
    ),
]


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


def error_code(exc: ReverieError) -> int:
    """The exit code for ``exc``: 2 for bad input or configuration (a template, a file the
    user gave, an option), else 1."""
    return 2 if isinstance(exc, (InputError, ConfigError)) else 1


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error the way every command does and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def resolve(workspace: Path | None) -> Settings:
    """Find and load the workspace's settings once, at the command's entry."""
    try:
        root = workspace if workspace is not None else find_workspace(Path.cwd())
        return load_settings(root)
    except ReverieError as exc:
        raise fail(str(exc), 2) from exc


@contextmanager
def store_for(settings: Settings) -> Iterator[GraphStore]:
    """Open the workspace's store for the length of a command."""
    try:
        store = open_store(settings)
    except ReverieError as exc:
        raise fail(str(exc), 2) from exc
    try:
        yield store
    finally:
        store.close()


def print_json(data: Any) -> None:
    sys.stdout.write(
        orjson.dumps(
            data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str
        ).decode()
        + "\n"
    )
    sys.stdout.flush()
