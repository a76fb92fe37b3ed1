"""``reverie rules list`` and ``reverie rules show``: read the rule book."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

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
from reverie.cli.terminal import DataTable
from reverie.errors import ConfigError
from reverie.rulebook.statuses import RULE_STATUSES as STATUSES

if TYPE_CHECKING:
    from reverie.rulebook.rules import Rule


rules_app = typer.Typer(help="List and show the rules of the rule book.", no_args_is_help=True)


@rules_app.command("list")
def list_rules(
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help=f"Only rules with this status ({', '.join(STATUSES)})."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the tenant's rules (and seeded ones) with status, confidence and evidence."""
    from reverie.rulebook.rules import load_rules

    settings = resolve(workspace)
    if status is not None and status not in STATUSES:
        raise ConfigError(f"--status must be one of {', '.join(STATUSES)}")
    rules = load_rules(settings.rules_dir, tenant or settings.tenant)
    rules = [r for r in rules if status is None or r.status == status]
    if as_json:
        print_json([r.model_dump(mode="json") for r in rules])
        return
    table = DataTable()
    for col in ("id", "status", "conf", "sessions", "agents", "flags", "directive"):
        table.add_column(col, overflow="fold")
    for r in rules:
        table.add_row(
            r.id,
            r.status + (" (seeded)" if r.seeded else "") + _quarantine_reason(r),
            f"{r.confidence:.2f}",
            str(len(r.evidence.sessions)),
            "fleet" if r.scope.agents == "fleet" else str(len(r.scope.agents)),
            ", ".join(sorted({f.kind for f in r.flags})) or "-",
            r.directive,
        )
    console.print(table)


def _quarantine_reason(rule: Rule) -> str:
    """Why a quarantined rule is held back (its latest quarantine decision), for the table."""
    if rule.status != "quarantined":
        return ""
    entry = next((h for h in reversed(rule.history) if h.action == "quarantine"), None)
    return f": {entry.reason}" if entry else ""


@rules_app.command("show")
def show_rule(
    rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. R-0004.")],
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print one rule file (front matter and body) and its use by agents over MCP, or JSON."""
    from reverie.rulebook.rules import find_rule, render_rule
    from reverie.serving.usage import usage_summary

    settings = resolve(workspace)
    tenant = tenant or settings.tenant
    rule = find_rule(settings.rules_dir, rule_id, tenant)
    with workspace_for(settings) as ws:
        usage = usage_summary(ws, tenant, rule.id)
    if as_json:
        print_json(rule.model_dump(mode="json") | {"usage": usage})
        return
    console.print(render_rule(rule), markup=False, highlight=False)
    console.print(_usage_text(usage), markup=False, highlight=False)


def _usage_text(usage: dict[str, Any]) -> str:
    """The ``## Use over MCP`` block: counts, per agent, the latest feedback."""
    lines = [
        "## Use over MCP (reverie mcp)",
        "",
        f"retrieved {usage['retrieved']} times; feedback: helped {usage['helped']}, "
        f"did not help {usage['unhelpful']}"
        + (f"; last used {usage['last_at']:%Y-%m-%d %H:%M}" if usage["last_at"] else ""),
    ]
    for row in usage["agents"]:
        lines.append(f"- {row['agent'] or '(unnamed agent)'}: retrieved {row['retrieved']}, "
                     f"helped {row['helped']}, did not help {row['unhelpful']}")
    for fb in usage["feedback"]:
        said = "helped" if fb["helped"] else "did not help"
        note = f": {fb['note']}" if fb["note"] else ""
        lines.append(f"- {fb['at'][:16]} {fb['agent'] or '(unnamed agent)'} {said}{note}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
