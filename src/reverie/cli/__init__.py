"""The ``reverie`` command: a thin typer app over the library.

Each command lives in a module of this package with a ``register(app)``
function; :data:`COMMAND_MODULES` lists them in the order ``--help`` shows.
"""

from __future__ import annotations

import importlib

import typer

__all__ = ["app", "main"]

COMMAND_MODULES = [
    "reverie.cli.workspace",
    "reverie.cli.ingest",
    "reverie.cli.redact",
    "reverie.cli.inspect",
    "reverie.cli.demo",
    "reverie.cli.motifs",
    "reverie.cli.dream",
    "reverie.cli.rules",
    "reverie.cli.review",
    "reverie.cli.explain",
    "reverie.cli.render",
    "reverie.cli.export",
    "reverie.cli.eval",
    "reverie.cli.forget",
    "reverie.cli.audit",
    "reverie.cli.migrate",
]

app = typer.Typer(
    name="reverie",
    help=(
        "Reverie reads agent session transcripts, mines the failures that recur across "
        "sessions and agents, and distills them into reviewed rules for agent prompts."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()
