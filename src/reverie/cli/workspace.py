"""``reverie init``: make a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reverie.cli.common import console, fail
from reverie.errors import ReverieError
from reverie.store import open_store
from reverie.workspace import init_workspace


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to make into a workspace.")] = Path("."),
    tenant: Annotated[str, typer.Option(help="Default tenant of this workspace.")] = "default",
    force: Annotated[bool, typer.Option(help="Rewrite an existing reverie.toml.")] = False,
) -> None:
    """Create a workspace: reverie.toml, graph/, rules/, prompts/ and the store in .reverie/."""
    try:
        settings = init_workspace(directory, tenant=tenant, force=force)
        open_store(settings).close()
    except ReverieError as exc:
        raise fail(str(exc), 2) from exc
    console.print(f"Workspace ready in [bold]{settings.root}[/] (tenant {tenant!r}).")
    console.print(f"Next: reverie ingest PATH -w {directory}")


def register(app: typer.Typer) -> None:
    app.command()(init)
