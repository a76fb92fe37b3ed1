"""``reverie render TEMPLATE``: approved rules into a prompt template, with source links."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reverie.cli.common import (
    JsonOpt,
    TenantOpt,
    WorkspaceOpt,
    console,
    err_console,
    print_json,
    resolve,
    workspace_for,
)
from reverie.cli.terminal import DataTable
from reverie.errors import ConfigError

if TYPE_CHECKING:
    from reverie.render.prompt import RenderResult, WithheldRule
    from reverie.render.tokens import TokenCounter
    from reverie.settings import Settings

AgentOpt = Annotated[
    str | None,
    typer.Option(
        "--agent",
        "-a",
        help="Render for this agent: its own rules plus fleet rules (default: fleet rules only).",
    ),
]
BudgetOpt = Annotated[
    int | None,
    typer.Option(
        "--budget",
        min=1,
        help="Token budget: leave out the lowest-scored rules until the output fits "
        "(default: \\[render] default_budget, else no limit).",
    ),
]
LocalTokensOpt = Annotated[
    bool,
    typer.Option(
        "--local-tokens",
        help="Use the local token estimate even when ANTHROPIC_API_KEY is set.",
    ),
]


def token_counter(model: str, local: bool) -> TokenCounter:
    """Exact counts from Anthropic when a key is set and not ``local``; else the estimate."""
    from reverie.render.tokens import counter_for

    return counter_for(model, exact=not local)


def summary(result: RenderResult, budget: int | None) -> str:
    """One line for stderr: rules, left out, tokens, hash and how to explain it."""
    ctx = result.context
    left = f", {ctx.omitted} left out to fit the budget of {budget} tokens" if ctx.omitted else ""
    return (
        f"{result.template}: {ctx.rule_count} rules{left}; {result.tokens} tokens "
        f"({result.counter}); render {result.hash} (reverie explain --render {result.hash})"
        + withheld_note(result.withheld)
    )


def withheld_note(withheld: list[WithheldRule]) -> str:
    """Rules left out because a name from their transcripts reads as an instruction."""
    if not withheld:
        return ""
    rows = "; ".join(f"{w.id} ({', '.join(w.reasons)})" for w in withheld)
    return (
        f"\nwithheld, a name from their transcripts reads as an instruction: {rows}; "
        "read it with `reverie explain ID` and retire it if the name is hostile"
    )


def _print_vars(template: str | None, prompts_dir: Path) -> None:
    from reverie.render.prompt import load_template, template_variables

    used: set[str] | None = None
    if template is not None:
        from jinja2 import meta

        tpl, filename, source = load_template(template, prompts_dir)
        used = meta.find_undeclared_variables(tpl.environment.parse(source))
        console.print(f"template {filename}", soft_wrap=True, highlight=False, markup=False)
    table = DataTable(title="template variables (reverie.render.prompt.RenderContext)")
    for col in ("variable", "type", "description") + (("used",) if used is not None else ()):
        table.add_column(col, overflow="fold")
    for name, kind, description in template_variables():
        row = [name, kind, description]
        if used is not None:
            row.append("yes" if name.split("[")[0].split(".")[0] in used else "")
        table.add_row(*row)
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("render")
    def render_cmd(
        template: Annotated[
            str | None,
            typer.Argument(
                help="Template name in the workspace's prompts/ (system_prompt, claude_md, "
                "agents_md, cursor_rules) or a path to a jinja2 file.",
                show_default=False,
            ),
        ] = None,
        workspace: WorkspaceOpt = None,
        tenant: TenantOpt = None,
        agent: AgentOpt = None,
        budget: BudgetOpt = None,
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="Write the output to FILE instead of stdout."),
        ] = None,
        show_vars: Annotated[
            bool,
            typer.Option(
                "--vars", help="List the variables templates may use (and which TEMPLATE uses)."
            ),
        ] = False,
        local_tokens: LocalTokensOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Render approved rules in scope for a tenant and agent into a template; record it."""
        from reverie.render.records import render_and_record

        settings = resolve(workspace)
        if show_vars:
            _print_vars(template, settings.prompts_dir)
            return
        if template is None:
            raise ConfigError("give a TEMPLATE (e.g. claude_md), or --vars to list the variables")
        tenant = tenant or settings.tenant
        budget = budget if budget is not None else settings.render.default_budget
        counter = token_counter(settings.distill.model, local_tokens)
        with workspace_for(settings) as ws:
            result, record = render_and_record(
                ws,
                tenant,
                template,
                agent=agent,
                at=datetime.now(UTC),
                budget=budget,
                counter=counter,
                output=output.resolve() if output else None,
            )
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(result.text, encoding="utf-8")
        if as_json:
            print_json({"record": record.model_dump(mode="json"), "text": result.text})
            return
        if output is None:
            typer.echo(result.text, nl=False)
        else:
            err_console.print(f"wrote {output}", highlight=False, markup=False)
        err_console.print(summary(result, budget), highlight=False, soft_wrap=True, markup=False)


def explain_render_cmd(settings: Settings, tenant: str, digest: str, as_json: bool) -> None:
    """``reverie explain --render HASH``: the rules that were in that render, and why."""
    from reverie.cli.explain_view import print_render_explanation
    from reverie.render.records import RenderLog, explain_render
    from reverie.rulebook.rules import load_rules

    found = explain_render(
        RenderLog(settings.state_dir), tenant, digest, load_rules(settings.rules_dir, tenant)
    )
    if as_json:
        print_json(found.model_dump(mode="json"))
    else:
        print_render_explanation(found, console)
