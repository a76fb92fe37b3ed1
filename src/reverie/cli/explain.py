"""``reverie explain ID``: why does this rule exist? Down to the transcript lines."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from reverie.audit import AuditLog
from reverie.cli.common import (
    JsonOpt,
    TenantOpt,
    WorkspaceOpt,
    console,
    fail,
    print_json,
    resolve,
    store_for,
)
from reverie.errors import ReverieError
from reverie.explain import explain, render_explanation
from reverie.rulebook import find_rule


def register(app: typer.Typer) -> None:
    @app.command("explain")
    def explain_cmd(
        rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. R-0004.")],
        workspace: WorkspaceOpt = None,
        tenant: TenantOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The rule, its motif and scores, the failures with file:line and text, its history."""
        settings = resolve(workspace)
        tenant = tenant or settings.tenant
        try:
            rule = find_rule(settings.rules_dir, rule_id, tenant)
            with store_for(settings) as store:
                result = explain(rule, store, tenant, AuditLog(settings.state_dir))
        except ReverieError as exc:
            raise fail(escape(str(exc))) from exc
        if as_json:
            print_json(result.model_dump(mode="json"))
        else:
            render_explanation(result, console)
