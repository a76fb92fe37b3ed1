"""``reverie explain ID``: why does this rule exist? Down to the transcript lines."""

from __future__ import annotations

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
from reverie.errors import ConfigError


def register(app: typer.Typer) -> None:
    @app.command("explain")
    def explain_cmd(
        rule_id: Annotated[
            str | None, typer.Argument(help="Rule id, e.g. R-0004.", show_default=False)
        ] = None,
        workspace: WorkspaceOpt = None,
        tenant: TenantOpt = None,
        render_hash: Annotated[
            str | None,
            typer.Option(
                "--render",
                help="Explain a rendered prompt instead: which rules were in it and why "
                "(the b2: hash printed by `reverie render` / `reverie export`).",
            ),
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The rule, its motif and scores, the failures with file:line and text, its history.

        With --render HASH: which rules were in that rendered prompt, and why.
        """
        from reverie.cli.explain_view import render_explanation
        from reverie.rulebook.explain import explain
        from reverie.rulebook.rules import find_rule

        settings = resolve(workspace)
        tenant = tenant or settings.tenant
        if render_hash is not None:
            from reverie.cli.render import explain_render_cmd

            explain_render_cmd(settings, tenant, render_hash, as_json)
            return
        if rule_id is None:
            raise ConfigError("give a rule id (e.g. R-0004), or --render HASH")
        rule = find_rule(settings.rules_dir, rule_id, tenant)
        with workspace_for(settings) as ws:
            result = explain(ws, tenant, rule)
        if as_json:
            print_json(result.model_dump(mode="json"))
        else:
            render_explanation(result, console)
