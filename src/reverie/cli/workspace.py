"""``reverie init``: make a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reverie.cli.common import console, outer_workspace


def init(
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="Folder to make into a workspace (default: the -w before the command, "
            "else the current folder).",
            show_default=False,
        ),
    ] = None,
    tenant: Annotated[str, typer.Option(help="Default tenant of this workspace.")] = "default",
    force: Annotated[bool, typer.Option(help="Rewrite an existing reverie.toml.")] = False,
) -> None:
    """Create a workspace: reverie.toml, graph/, rules/, prompts/ and the store in .reverie/."""
    from reverie.store import open_store
    from reverie.workspace import init_workspace

    directory = directory or outer_workspace.get() or Path(".")
    settings = init_workspace(directory, tenant=tenant, force=force)
    open_store(settings).close()
    console.print(f"Workspace ready in [bold]{escape(str(settings.root))}[/] (tenant {tenant!r}).")
    console.print(f"Next: reverie ingest PATH -w {directory}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(init)
