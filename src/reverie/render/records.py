"""Render records: which rules were in a prompt, and why, for every render.

Each render (``reverie render``, ``reverie export``) appends one
:class:`RenderRecord` to ``.reverie/renders.jsonl`` in the workspace: the
output's hash (``b2:...``, BLAKE2b of the rendered text), tenant, agent,
template (name, file, hash of its source), time, budget and token count, and
for every rule in the output its id, version, score and the decision that
approved it (who, when, why); rules left out by the budget are listed too.

``reverie explain --render HASH`` (:func:`explain_render`) finds the records
of one tenant with that hash (a unique prefix is enough) and sets each
recorded rule beside the rule book as it is now, so an investigator sees
"which rules were in the prompt the agent saw, and why" even after the rules
changed.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reverie.audit.rules import unexplained_rules
from reverie.errors import InputError
from reverie.render.prompt import RenderedRule, RenderResult, WithheldRule, render
from reverie.render.tokens import TokenCounter
from reverie.rulebook.rules import HistoryEntry, Rule, load_rules

if TYPE_CHECKING:
    from reverie.workspace import Workspace

__all__ = [
    "RecordedRule",
    "RenderExplanation",
    "RenderLog",
    "RenderRecord",
    "explain_render",
    "make_record",
    "render_and_record",
    "render_workspace",
]

LOG_NAME = "renders.jsonl"
APPROVALS = ("review.approve", "auto_approve", "approve", "seed")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordedRule(_Model):
    """One rule as it was in a rendered prompt, with the decision that let it in."""

    id: str
    version: int
    title: str
    directive: str
    seeded: bool
    confidence: float
    trust_weight: float
    score: float
    group: str
    sessions: int
    agents: list[str]
    support: int
    approved_by: str | None = None
    approved_at: datetime | None = None
    approval: str | None = None


class RenderRecord(_Model):
    """One render: the output's hash and everything needed to say what was in it."""

    hash: str
    kind: Literal["render", "export"] = "render"
    tenant: str
    agent: str | None
    template: str
    template_file: str
    template_hash: str
    at: datetime
    output: str | None = None
    budget: int | None = None
    tokens: int
    counter: str
    rules: list[RecordedRule] = Field(default_factory=list)
    left_out: list[RecordedRule] = Field(default_factory=list)
    withheld: list[WithheldRule] = Field(
        default_factory=list,
        description="Rules in scope left out because a name from their transcripts was flagged.",
    )


def _approval(rule: Rule | None) -> HistoryEntry | None:
    if rule is None:
        return None
    return next((h for h in reversed(rule.history) if h.action in APPROVALS), None)


def _recorded(r: RenderedRule, rule: Rule | None) -> RecordedRule:
    entry = _approval(rule)
    return RecordedRule(
        id=r.id,
        version=r.version,
        title=r.title,
        directive=r.directive,
        seeded=r.seeded,
        confidence=r.confidence,
        trust_weight=r.trust_weight,
        score=r.score,
        group=r.group,
        sessions=r.sessions,
        agents=r.agents,
        support=r.support,
        approved_by=entry.actor if entry else None,
        approved_at=entry.at if entry else None,
        approval=f"{entry.action}: {entry.reason}" if entry else None,
    )


def make_record(
    result: RenderResult,
    rules: list[Rule],
    at: datetime,
    *,
    kind: Literal["render", "export"] = "render",
    output: Path | None = None,
) -> RenderRecord:
    """The record of ``result``; ``rules`` are the rule-book rules it was rendered from."""
    by_id = {r.id: r for r in rules}
    ctx = result.context
    return RenderRecord(
        hash=result.hash,
        kind=kind,
        tenant=ctx.tenant,
        agent=ctx.agent,
        template=result.template,
        template_file=result.template_file,
        template_hash=result.template_hash,
        at=at,
        output=str(output) if output is not None else None,
        budget=ctx.budget,
        tokens=result.tokens,
        counter=result.counter,
        rules=[_recorded(r, by_id.get(r.id)) for r in ctx.rules],
        left_out=[_recorded(r, by_id.get(r.id)) for r in result.left_out],
        withheld=result.withheld,
    )


class RenderLog:
    """The append-only ``renders.jsonl`` of a workspace's state folder."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / LOG_NAME

    def append(self, record: RenderRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = orjson.dumps(record.model_dump(mode="json")) + b"\n"
        with self.path.open("ab") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.write(line)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def records(self, tenant: str) -> Iterator[RenderRecord]:
        """The tenant's records, oldest first; a damaged line is an InputError naming it."""
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    record = RenderRecord.model_validate(orjson.loads(raw))
                except (orjson.JSONDecodeError, ValidationError) as exc:
                    raise InputError(f"damaged render record ({exc})", self.path, lineno) from exc
                if record.tenant == tenant:
                    yield record

    def find(self, tenant: str, digest: str) -> list[RenderRecord]:
        """Every record of ``tenant`` whose hash is ``digest`` (or starts with it)."""
        want = digest if digest.startswith("b2:") else f"b2:{digest}"
        found = [r for r in self.records(tenant) if r.hash.startswith(want)]
        hashes = sorted({r.hash for r in found})
        if not found:
            raise InputError(
                f"no render {digest} for tenant {tenant!r}; `reverie render` and "
                "`reverie export` print the hash of each render"
            )
        if len(hashes) > 1:
            raise InputError(f"{digest} matches {len(hashes)} renders; give more of the hash")
        return found


class RuleNow(_Model):
    """A recorded rule set beside the rule book as it is now."""

    recorded: RecordedRule
    status_now: str | None
    version_now: int | None
    because: str | None = None


class RenderExplanation(_Model):
    """What :func:`explain_render` found: the latest record, how often it was rendered, rules."""

    hash: str
    tenant: str
    renders: int
    first_at: datetime
    last: RenderRecord
    rules: list[RuleNow]


def explain_render(
    log: RenderLog, tenant: str, digest: str, rules_now: list[Rule]
) -> RenderExplanation:
    """Which rules were in render ``digest`` of ``tenant``, why, and what became of them."""
    found = log.find(tenant, digest)
    last = found[-1]
    by_id = {r.id: r for r in rules_now}
    rows = []
    for rec in last.rules:
        now = by_id.get(rec.id)
        rows.append(
            RuleNow(
                recorded=rec,
                status_now=now.status if now else None,
                version_now=now.version if now else None,
                because=now.because if now else None,
            )
        )
    return RenderExplanation(
        hash=last.hash,
        tenant=tenant,
        renders=len(found),
        first_at=found[0].at,
        last=last,
        rules=rows,
    )


def render_workspace(
    workspace: Workspace,
    tenant: str,
    template: str,
    *,
    agent: str | None,
    budget: int | None = None,
    counter: TokenCounter | None = None,
) -> tuple[RenderResult, list[Rule]]:
    """Render ``template`` with the workspace's rule book and settings (nothing recorded)."""
    settings = workspace.settings
    rules = load_rules(workspace.rules_dir, tenant)
    # Audit check (issue 14, finding 3): a rule whose status, directive or version no
    # logged decision explains is not rendered (`reverie audit verify` names it).
    unexplained = unexplained_rules(workspace.audit.state_dir, rules)
    result = render(
        template,
        rules,
        tenant=tenant,
        agent=agent,
        trust=settings.trust,
        prompts_dir=settings.prompts_dir,
        budget=budget,
        counter=counter,
        explain_url=settings.render.explain_url,
        default_tenant=settings.tenant,
        held=unexplained,
    )
    return result, rules


def render_and_record(
    workspace: Workspace,
    tenant: str,
    template: str,
    *,
    agent: str | None,
    at: datetime,
    budget: int | None = None,
    counter: TokenCounter | None = None,
    output: Path | None = None,
) -> tuple[RenderResult, RenderRecord]:
    """:func:`render_workspace`, then append the render's record to the workspace's log."""
    result, rules = render_workspace(
        workspace, tenant, template, agent=agent, budget=budget, counter=counter
    )
    record = make_record(result, rules, at, output=output)
    RenderLog(workspace.settings.state_dir).append(record)
    return result, record
