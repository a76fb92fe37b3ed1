"""``reverie review approve|reject|edit|retire ID --reason TEXT``: a person's decision."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reverie.cli.common import TenantOpt, WorkspaceOpt, console, resolve, workspace_for

if TYPE_CHECKING:
    from reverie.rulebook.review import Decision

review_app = typer.Typer(
    help="Approve, reject, edit or retire a rule, with a reason; logged and kept in its history.",
    no_args_is_help=True,
)

RuleArg = Annotated[str, typer.Argument(help="Rule id, e.g. R-0004.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (required; kept in the history).")]
ReviewerOpt = Annotated[
    str | None,
    typer.Option(
        "--reviewer",
        help="Who decides (default: \\[review] reviewer in reverie.toml, else git user.name).",
    ),
]


def _run(
    decision: Decision,
    rule_id: str,
    reason: str,
    reviewer: str | None,
    workspace: Path | None,
    tenant: str | None,
    edits: dict[str, str | None] | None = None,
) -> None:
    from reverie.rulebook.review import resolve_reviewer, review

    settings = resolve(workspace)
    who = resolve_reviewer(reviewer, settings)
    with workspace_for(settings) as ws:  # review takes the workspace lock (ws.locked)
        rule = review(
            ws,
            tenant or settings.tenant,
            rule_id,
            decision,
            reviewer=who,
            reason=reason,
            now=datetime.now(UTC),
            edits=edits,
        )
    console.print(
        f"{rule.id}: {decision} by {who} -> {rule.status} (version {rule.version})",
        markup=False,
        highlight=False,
    )


@review_app.command("approve")
def approve(
    rule_id: RuleArg,
    reason: ReasonOpt,
    reviewer: ReviewerOpt = None,
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
) -> None:
    """Approve a rule: it may now be rendered into agent prompts."""
    _run("approve", rule_id, reason, reviewer, workspace, tenant)


@review_app.command("reject")
def reject(
    rule_id: RuleArg,
    reason: ReasonOpt,
    reviewer: ReviewerOpt = None,
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
) -> None:
    """Reject a rule: it is kept, with the reason, and never rendered."""
    _run("reject", rule_id, reason, reviewer, workspace, tenant)


@review_app.command("retire")
def retire(
    rule_id: RuleArg,
    reason: ReasonOpt,
    reviewer: ReviewerOpt = None,
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
) -> None:
    """Retire a rule (e.g. after the dream proposed it): it stops being rendered."""
    _run("retire", rule_id, reason, reviewer, workspace, tenant)


@review_app.command("edit")
def edit(
    rule_id: RuleArg,
    reason: ReasonOpt,
    directive: Annotated[str | None, typer.Option(help="New directive (one sentence).")] = None,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    when: Annotated[str | None, typer.Option(help="New `when` text.")] = None,
    because: Annotated[str | None, typer.Option(help="New `because` text.")] = None,
    reviewer: ReviewerOpt = None,
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
) -> None:
    """Change a rule's words; the evidence stays and the history keeps old and new text."""
    edits = {"directive": directive, "title": title, "when": when, "because": because}
    _run("edit", rule_id, reason, reviewer, workspace, tenant, edits)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
