"""``reverie export claude-md|agents-md --into PATH``: update Reverie's section of a file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from reverie.cli.common import (
    JsonOpt,
    TenantOpt,
    WorkspaceOpt,
    console,
    print_json,
    resolve,
    workspace_for,
)
from reverie.cli.render import AgentOpt, BudgetOpt, LocalTokensOpt, token_counter
from reverie.render.kinds import EXPORTS


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(
        kind: Annotated[
            str,
            typer.Argument(
                help=f"What to export: {' or '.join(EXPORTS)} (templates "
                f"{', '.join(t for t in EXPORTS.values())} in prompts/).",
                show_default=False,
            ),
        ],
        into: Annotated[
            Path,
            typer.Option(
                "--into",
                help="The file to update, e.g. CLAUDE.md; only Reverie's marked section changes "
                "(appended if absent; the file is created if missing).",
                show_default=False,
            ),
        ],
        workspace: WorkspaceOpt = None,
        tenant: TenantOpt = None,
        agent: AgentOpt = None,
        budget: BudgetOpt = None,
        local_tokens: LocalTokensOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Render approved rules into the marked section of CLAUDE.md or AGENTS.md; record it."""
        from reverie.render.export import export

        settings = resolve(workspace)
        budget = budget if budget is not None else settings.render.default_budget
        with workspace_for(settings) as ws:
            result = export(
                ws,
                tenant or settings.tenant,
                kind,
                into,
                agent=agent,
                at=datetime.now(UTC),
                budget=budget,
                counter=token_counter(settings.distill.model, local_tokens),
            )
        if as_json:
            print_json(result.model_dump(mode="json"))
            return
        left = f", {result.omitted} left out to fit the budget" if result.omitted else ""
        withheld = (
            f"\nwithheld, a name from their transcripts reads as an instruction: "
            f"{', '.join(result.withheld)} (see `reverie explain ID`)"
            if result.withheld
            else ""
        )
        console.print(
            f"{result.path}: {result.action} ({result.rules} rules{left}); render "
            f"{result.render} (reverie explain --render {result.render}){withheld}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
