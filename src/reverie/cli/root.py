"""The ``reverie`` command: the root group, its command table and its error boundary.

Each command lives in a module of this package with a ``register(app)``
function; :data:`COMMANDS` lists them in the order ``--help`` shows, with the
summary the listing prints, so ``reverie --help`` imports none of them (see
:mod:`reverie.cli.lazy`). Every command runs inside one error boundary
(:func:`reverie.cli.exits.error_boundary`): under ``reverie``, ``python -m
reverie`` and ``typer.testing.CliRunner().invoke(app, ...)`` alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reverie.cli.common import outer_workspace
from reverie.cli.exits import EPILOG, error_boundary
from reverie.cli.lazy import Entry, LazyGroup

__all__ = ["COMMANDS", "ReverieGroup", "app", "main"]


def _entries(*rows: tuple[str, str, str]) -> dict[str, Entry]:
    return {name: Entry(f"reverie.cli.{module}", text) for name, module, text in rows}


COMMANDS: dict[str, Entry] = _entries(
    ("init", "workspace",
     "Create a workspace: reverie.toml, graph/, rules/, prompts/ and the store in .reverie/."),
    ("ingest", "ingest",
     "Ingest transcript files and folders (recursively) into the workspace's store."),
    ("redact", "redact",
     "Show what redaction would replace in transcript files; nothing is stored."),
    ("stats", "inspect",
     "Per tenant: agents, sessions, events by kind, tool calls and tool errors."),
    ("sessions", "inspect", "List sessions and show one as a timeline."),
    ("demo", "demo",
     "Ingest sessions into a demo workspace, dream, and render a CLAUDE.md section."),
    ("motifs", "motifs",
     "Mine the tenant's sessions for failures that recur across sessions and agents."),
    ("dream", "dream",
     "Curate the rule book: propose, reinforce, retire, flag conflicts, merge, promote."),
    ("watch", "watch",
     "Watch transcript folders: ingest what changed, dream when events came in, re-export."),
    ("dreams", "dreams",
     "List and show the dream reports `reverie watch` wrote after each cycle."),
    ("rules", "rules", "List and show the rules of the rule book."),
    ("review", "review",
     "Approve, reject, edit or retire a rule, with a reason; logged and kept in its history."),
    ("explain", "explain",
     "The rule, its motif and scores, the failures with file:line and text, its history."),
    ("render", "render",
     "Render approved rules in scope for a tenant and agent into a template; record it."),
    ("export", "export",
     "Render approved rules into the marked section of CLAUDE.md or AGENTS.md; record it."),
    ("eval", "eval",
     "Measure the rules: held-out precision, coverage, avoidable cost, outcomes, drift."),
    ("forget", "forget",
     "Erase sessions' content (keeping tombstones), re-mine, and retire rules they fed."),
    ("audit", "audit", "The append-only, keyed and hash-chained log of every decision."),
    ("serve", "serve",
     "Serve the review page: the queue, each rule's evidence and diff, decisions, audit log."),
    ("migrate", "migrate", "Copy the workspace's provenance graph into the other store kind."),
    ("mcp", "mcp", "Serve approved rules to agents over MCP (stdio) and record how they are used."),
)  # fmt: skip


class ReverieGroup(LazyGroup):
    """The root group: commands from :data:`COMMANDS`; every one inside the error boundary.

    The ``-w`` given before the command is the workspace of every command that
    does not get its own (:data:`reverie.cli.common.outer_workspace`).
    """

    entries = COMMANDS

    def invoke(self, ctx: Any) -> Any:
        token = outer_workspace.set(ctx.params.get("workspace"))
        try:
            with error_boundary():
                return super().invoke(ctx)
        finally:
            outer_workspace.reset(token)


app = typer.Typer(
    name="reverie",
    cls=ReverieGroup,
    help=(
        "Reverie reads agent session transcripts, mines the failures that recur across "
        "sessions and agents, and distills them into reviewed rules for agent prompts."
    ),
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Workspace folder of the command, like `git -C` (a -w after the command wins).",
            show_default=False,
        ),
    ] = None,
) -> None:
    # Nothing to do here: ReverieGroup.invoke hands `workspace` to the command.
    pass


def main() -> None:
    app()
