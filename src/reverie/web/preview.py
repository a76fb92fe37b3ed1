"""Where a rule would appear: the exported section with and without it, as a diff.

For each file the tenant's rules were exported into (the ``export`` records
of ``.reverie/renders.jsonl``, the latest per file), :func:`previews` renders
the section twice with the workspace's templates and settings, as ``reverie
export`` would (same template, agent and budget): once without the rule and
once with it approved. The unified diff between the two is what approving it
changes in that file (for a rule already approved: what it contributes, which
rejecting or retiring it would take out). Nothing is written and nothing is
recorded. Without any export, the preview is the ``claude-md`` section
against the same section without the rule.

Budgets are counted with the local token estimate (no network from a page),
so a preview near an exact-count budget can differ from the export by a rule.
Rules the audit check holds back (:func:`~reverie.audit.rules.unexplained_rules`)
stay held back, except the rule itself in its approved state: a review
records that state.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from reverie.audit.rules import unexplained_rules
from reverie.errors import InputError
from reverie.render.export import section_text, splice
from reverie.render.kinds import EXPORTS
from reverie.render.prompt import RenderResult, in_scope, render
from reverie.render.records import RenderLog, RenderRecord
from reverie.render.tokens import LocalCounter
from reverie.rulebook.rules import Rule, load_rules

if TYPE_CHECKING:
    from reverie.workspace import Workspace

__all__ = ["DEFAULT_KIND", "FilePreview", "Target", "export_targets", "previews"]

DEFAULT_KIND = "claude-md"
CONTEXT = 2  # lines of context around each change in the diff


class Target(BaseModel):
    """One exported file: where, which export kind, for which agent, with which budget."""

    model_config = ConfigDict(extra="forbid")

    path: str | None
    kind: str
    agent: str | None
    budget: int | None
    counter: str | None = None


class FilePreview(BaseModel):
    """The section of one file with the rule approved, and the diff from the section without."""

    model_config = ConfigDict(extra="forbid")

    target: Target
    section: str
    diff: list[str]
    unchanged_because: str | None = None
    file_note: str | None = None


def export_targets(workspace: Workspace, tenant: str) -> list[Target]:
    """The latest export record of each file the tenant's rules were exported into."""
    latest: dict[str, RenderRecord] = {}
    for record in RenderLog(workspace.settings.state_dir).records(tenant):
        if record.kind == "export" and record.output:
            latest[record.output] = record
    kinds = {template: kind for kind, template in EXPORTS.items()}
    targets = []
    for output, record in sorted(latest.items()):
        kind = kinds.get(record.template.split(".", 1)[0])
        if kind is not None:
            targets.append(Target(path=output, kind=kind, agent=record.agent,
                                  budget=record.budget, counter=record.counter))
    return targets


def _render(workspace: Workspace, tenant: str, target: Target, rules: list[Rule],
            held: dict[str, str]) -> RenderResult:
    settings = workspace.settings
    return render(
        EXPORTS[target.kind],
        rules,
        tenant=tenant,
        agent=target.agent,
        trust=settings.trust,
        prompts_dir=settings.prompts_dir,
        budget=target.budget,
        counter=LocalCounter(),
        explain_url=settings.render.explain_url,
        default_tenant=settings.tenant,
        held=held,
    )


def _unchanged_because(rule: Rule, tenant: str, target: Target, after: RenderResult) -> str:
    if not rule.directive or rule.needs_directive:
        return "it has no directive yet: write one (edit) before it can be approved"
    withheld = next((w for w in after.withheld if w.id == rule.id), None)
    if withheld is not None:
        return "it would be withheld: " + "; ".join(withheld.reasons)
    approved = rule.model_copy(update={"status": "approved"})
    if not in_scope(approved, tenant, target.agent):
        who = f"agent {target.agent}" if target.agent else "every agent (fleet rules only)"
        agents = rule.scope.agents if rule.scope.agents == "fleet" else ", ".join(rule.scope.agents)
        return f"it is scoped to {agents}, and this file is rendered for {who}"
    if any(r.id == rule.id for r in after.left_out):
        return f"it would be left out to fit the budget of {target.budget} tokens"
    return "the rendered section is the same with and without it"


def _file_note(target: Target, before: str) -> str | None:
    """Whether the file on disk still holds the section the rule book renders now."""
    if target.path is None:
        return (
            f"Not exported yet for this tenant: this is the section `reverie export "
            f"{target.kind} --into FILE` would write, against an empty one."
        )
    path = Path(target.path)
    if not path.is_file():
        return "The file is gone since the last export; the next export creates it."
    try:
        existing = path.read_bytes().decode("utf-8")
        current = splice(existing, before, path)[0] == existing
    except (OSError, UnicodeDecodeError, InputError) as exc:
        return f"The file cannot be read as Reverie exports it: {exc}"
    if current:
        return None
    return (
        "The file does not hold the section the rule book renders now (rules changed "
        "since the last export): the next export also brings those changes."
    )


def previews(workspace: Workspace, tenant: str, rule: Rule) -> list[FilePreview]:
    """One preview per exported file (or the default section); see the module docstring."""
    rules = load_rules(workspace.rules_dir, tenant)
    held = unexplained_rules(workspace.audit.state_dir, rules)
    without = [r for r in rules if r.id != rule.id]
    approved = rule.model_copy(update={"status": "approved"})
    held_after = {k: v for k, v in held.items() if k != rule.id}
    targets = export_targets(workspace, tenant)
    if not targets:
        targets = [Target(path=None, kind=DEFAULT_KIND, agent=None,
                          budget=workspace.settings.render.default_budget)]
    out = []
    for target in targets:
        before = _render(workspace, tenant, target, without, held)
        after = _render(workspace, tenant, target, [*without, approved], held_after)
        old = section_text(target.kind, before.hash, before.text) if target.path else ""
        new = section_text(target.kind, after.hash, after.text)
        name = target.path or "(not exported yet)"
        diff = [
            line.rstrip("\n")
            for line in difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"{name} without {rule.id}", tofile=f"{name} with {rule.id} approved",
                n=CONTEXT,
            )
        ]
        changed = before.text != after.text
        current = after if rule.status == "approved" and rule.id not in held else before
        out.append(
            FilePreview(
                target=target,
                section=new,
                diff=diff if changed or target.path is None else [],
                unchanged_because=None if changed else _unchanged_because(
                    rule, tenant, target, after),
                file_note=_file_note(target, section_text(target.kind, current.hash,
                                                          current.text)),
            )
        )
    return out
