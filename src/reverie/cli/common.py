"""What every command shares: the workspace option, settings, the store, output."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from reverie.errors import ReverieError
from reverie.settings import Settings, find_workspace, load_settings
from reverie.store import GraphStore, open_store

__all__ = [
    "JsonOpt",
    "TenantOpt",
    "WorkspaceOpt",
    "console",
    "err_console",
    "fail",
    "print_json",
    "resolve",
    "store_for",
]

console = Console()
err_console = Console(stderr=True)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: the nearest folder upward holding reverie.toml).",
        show_default=False,
    ),
]
TenantOpt = Annotated[
    str | None,
    typer.Option("--tenant", "-t", help="Tenant to act on (default: `tenant` in reverie.toml)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]


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
