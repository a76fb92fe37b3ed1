"""What ``reverie mcp`` serves: the rules that apply, a rule's evidence, the rules section.

The rules an agent may be served are exactly the rules an export would write
for it (:func:`reverie.render.records.render_workspace`, rendered in memory,
nothing written): approved, with a directive, of this tenant (or seeded for
every tenant), for this agent or the fleet, explained by the audit log, with
no injected name. Proposed, quarantined, rejected and retired rules, another
tenant's rules and withheld ones are never served, by any of the functions
here; asking for one by id is an :class:`~reverie.errors.InputError`.

- :func:`rules_for`: the served rules that apply to a :class:`Situation`
  (:mod:`reverie.serving.matching`), most trusted first (the render's order:
  confidence x trust weight), each with its id and a one-line why;
- :func:`explain_rule`: the evidence of one served rule, with ``file:line``
  links (:func:`reverie.rulebook.explain.explain`);
- :func:`rules_section`: the marked section the export would write.

Every string returned is inert inline text (:func:`reverie.render.text.inline`),
and transcript text that reads as injected instructions is withheld.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reverie.errors import InputError
from reverie.mine.program import command_of
from reverie.redact.injection import flag_injection
from reverie.render.export import section_text
from reverie.render.kinds import EXPORTS
from reverie.render.prompt import RenderedRule, RenderResult
from reverie.render.records import render_workspace
from reverie.render.text import inline
from reverie.rulebook.explain import explain
from reverie.rulebook.rules import Rule, find_rule
from reverie.serving.matching import Situation, matches, rule_terms
from reverie.serving.usage import WITHHELD, record_retrievals

if TYPE_CHECKING:
    from reverie.workspace import Workspace

__all__ = ["ServedRule", "explain_rule", "rules_for", "rules_section", "served"]

MAX_LINE = 300


def _inert(value: Any) -> Any:
    if isinstance(value, str):
        return inline(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [inline(v) for v in value]
    return value


class ServedRule(BaseModel):
    """One rule as ``rules_for`` returns it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: int
    directive: str
    when: str
    why: str = Field(description="Why the rule exists, in one line (its `because`).")
    evidence: str = Field(description="Sessions, agents and trust behind it, in one line.")
    matched: list[str] = Field(description="What of the situation it matched.")
    score: float = Field(description="confidence x trust weight; the order.")

    _inline = field_validator("*", mode="after")(_inert)


def served(
    workspace: Workspace, tenant: str, agent: str | None
) -> tuple[RenderResult, dict[str, Rule]]:
    """The export's render for ``agent`` (in memory) and the rule book's rules by id."""
    result, rules = render_workspace(workspace, tenant, EXPORTS["claude-md"], agent=agent)
    return result, {r.id: r for r in rules}


def _refuse(rule_id: str, workspace: Workspace, tenant: str, agent: str | None) -> InputError:
    """Why ``rule_id`` is not served; another tenant's rule is "no rule", as a missing one."""
    try:
        rule = find_rule(workspace.rules_dir, rule_id, tenant)
    except InputError:
        return InputError(f"no rule {rule_id} for tenant {tenant!r}")
    who = f"agent {agent}" if agent else "every agent"
    if rule.status != "approved":
        return InputError(f"rule {rule_id} is not served: it is {rule.status}, not approved")
    return InputError(f"rule {rule_id} is not served to {who} of tenant {tenant}")


def served_rule(
    workspace: Workspace, tenant: str, rule_id: str, agent: str | None
) -> tuple[RenderedRule, Rule]:
    """One rule the server may serve to ``agent``, or an InputError saying it is not served."""
    result, by_id = served(workspace, tenant, agent)
    for r in result.context.rules:
        if r.id == rule_id:
            return r, by_id[r.id]
    raise _refuse(rule_id, workspace, tenant, agent)


def _programs(workspace: Workspace, tenant: str, rules: list[Rule]) -> dict[str, str]:
    """Motif id -> program, for the motifs the rules were derived from."""
    wanted = {r.evidence.motif_id for r in rules if r.evidence.motif_id}
    if not wanted:
        return {}
    return {m.id: m.program for m in workspace.store.motifs(tenant) if m.id in wanted and m.program}


def rules_for(
    workspace: Workspace,
    tenant: str,
    situation: Situation,
    *,
    agent: str | None,
    at: datetime,
    record: bool = True,
) -> list[ServedRule]:
    """The served rules that apply to ``situation``, most trusted first; with ``record``, each
    retrieval is recorded (:func:`~reverie.serving.usage.record_retrievals`)."""
    result, by_id = served(workspace, tenant, agent)
    candidates = [by_id[r.id] for r in result.context.rules]
    programs = _programs(workspace, tenant, candidates) if situation.command else {}
    found = []
    for r in result.context.rules:
        rule = by_id[r.id]
        program = programs.get(rule.evidence.motif_id or "")
        why = matches(rule_terms(rule, program), situation)
        if why is None:
            continue
        found.append(ServedRule(
            id=r.id, version=r.version, directive=r.directive, when=r.when, why=r.because,
            evidence=r.source, matched=why, score=r.score,
        ))
    if record:
        record_retrievals(workspace, tenant, agent, [s.id for s in found], at)
    return found


def _text(text: str) -> str:
    if flag_injection(text):
        return WITHHELD
    text = inline(text)
    return text if len(text) <= MAX_LINE else text[:MAX_LINE] + "…"


def explain_rule(
    workspace: Workspace, tenant: str, rule_id: str, agent: str | None
) -> dict[str, Any]:
    """The evidence of a served rule: motif scores, failures as ``file:line``, decisions."""
    shown, rule = served_rule(workspace, tenant, rule_id, agent)
    ex = explain(workspace, tenant, rule)
    motif = ex.motif
    return {
        "id": shown.id,
        "version": shown.version,
        "directive": shown.directive,
        "when": shown.when,
        "why": shown.because,
        "evidence": shown.source,
        "motif": None if motif is None else {
            "id": motif.id, "tool": motif.tool, "program": motif.program,
            "sessions": len(motif.sessions), "agents": len(motif.agents),
            "support": motif.support, "score": round(motif.score, 4),
        },
        "occurrences": [
            {
                "session": o.native_session_id or o.session_id,
                "agent": inline(o.agent or ""),
                "lines": [
                    {"role": line.role, "at": f"{line.file}:{line.line}", "tool": line.tool,
                     "command": _text(command_of(line.input) or "") if line.input else "",
                     "text": _text(line.text)}
                    for line in o.lines
                ],
            }
            for o in ex.occurrences
        ],
        "decisions": [
            {"action": h.action, "actor": inline(h.actor), "at": h.at.isoformat(),
             "reason": _text(h.reason)}
            for h in ex.history
        ],
    }


def rules_section(
    workspace: Workspace, tenant: str, agent: str | None, kind: str = "claude-md"
) -> str:
    """The marked rules section ``reverie export KIND`` would write for ``agent`` (nothing is
    written or recorded)."""
    if kind not in EXPORTS:
        raise InputError(f"unknown export {kind!r}; use one of {', '.join(EXPORTS)}")
    result, _ = render_workspace(workspace, tenant, EXPORTS[kind], agent=agent)
    return section_text(kind, result.hash, result.text)
