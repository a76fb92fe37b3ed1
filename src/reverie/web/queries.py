"""What the review pages show, read from the library: the queue, one rule, the audit log.

Nothing here knows about HTTP: each function takes the workspace (or its
settings) and the tenant, and returns a model the templates print. The rule
book, the store and the audit log are read with the same functions the CLI
uses (:func:`~reverie.rulebook.rules.load_rules`,
:func:`~reverie.rulebook.explain.explain`,
:func:`~reverie.audit.rules.unexplained_rules`,
:meth:`~reverie.audit.log.AuditLog.verify`); a rule is looked up only among
the tenant's rules and the seeded ones (:func:`lookup_rule`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from reverie.audit.log import AuditEntry
from reverie.audit.rules import unexplained_rules
from reverie.errors import AuditError, InputError
from reverie.render.prompt import trust_weight, withheld_reasons
from reverie.rulebook.explain import Explanation, explain
from reverie.rulebook.rules import Rule, load_rule, load_rules, rule_path
from reverie.rulebook.statuses import RULE_STATUSES

if TYPE_CHECKING:
    from pathlib import Path

    from reverie.settings import Settings
    from reverie.workspace import Workspace

__all__ = [
    "STATUS_ORDER",
    "AuditView",
    "Badge",
    "Filters",
    "Queue",
    "QueueRow",
    "RuleView",
    "audit_view",
    "badges",
    "fix_summary",
    "known_tenants",
    "lookup_rule",
    "queue",
    "rule_view",
]

STATUS_ORDER: tuple[str, ...] = ("proposed", "quarantined", *(
    s for s in RULE_STATUSES if s not in ("proposed", "quarantined")
))
"""Every rule status, in the order the queue shows them: what waits for a reviewer first."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Badge(_Model):
    """A flag shown beside a rule: its kind (the CSS class) and why."""

    kind: str
    why: str = ""


class Filters(_Model):
    """The queue's filters (query parameters); ``None`` shows all."""

    status: str | None = None
    agent: str | None = None
    tool: str | None = None


class QueueRow(_Model):
    id: str
    title: str
    directive: str
    status: str
    seeded: bool
    confidence: float
    trust: float
    score: float
    sessions: int
    agents: list[str]
    scope_agents: list[str] | str
    tools: list[str]
    badges: list[Badge]


class Queue(_Model):
    """The tenant's rules, proposed first, with counts per status and the filter choices."""

    rows: list[QueueRow]
    counts: dict[str, int]
    total: int
    agents: list[str]
    tools: list[str]
    filters: Filters


def quarantine_reason(rule: Rule) -> str | None:
    """Why a quarantined rule is held back: its latest quarantine decision."""
    if rule.status != "quarantined":
        return None
    entry = next((h for h in reversed(rule.history) if h.action == "quarantine"), None)
    return entry.reason if entry else "quarantined"


def badges(rule: Rule, unexplained: dict[str, str]) -> list[Badge]:
    """The flags a reviewer must see: quarantined, needs-directive, destructive, injection
    (a transcript name that reads as an instruction, or quarantined for it), the dream's
    open proposals (retire, conflict, merge), and a file no logged decision explains."""
    out = []
    reason = quarantine_reason(rule)
    if reason is not None:
        out.append(Badge(kind="quarantined", why=reason))
    injected = withheld_reasons(rule)
    if injected or (reason and "injection" in reason):
        out.append(Badge(kind="injection", why="; ".join(injected) or reason or ""))
    for flag in rule.flags:
        out.append(Badge(kind=flag.kind, why=flag.reason))
    if rule.id in unexplained:
        out.append(Badge(kind="unexplained", why=f"{unexplained[rule.id]} (not rendered)"))
    return out


def _agents(rule: Rule) -> set[str]:
    scoped = set(rule.scope.agents) if rule.scope.agents != "fleet" else set()
    return set(rule.evidence.agents) | scoped


def queue(settings: Settings, tenant: str, filters: Filters) -> Queue:
    """The tenant's rules (and the seeded ones), filtered, in review order."""
    rules = load_rules(settings.rules_dir, tenant)
    unexplained = unexplained_rules(settings.state_dir, rules)
    counts = {s: 0 for s in STATUS_ORDER}
    for rule in rules:
        counts[rule.status] += 1
    rows = []
    for rule in rules:
        if filters.status and rule.status != filters.status:
            continue
        if filters.agent and filters.agent not in _agents(rule):
            continue
        if filters.tool and filters.tool not in rule.scope.tools:
            continue
        tw = trust_weight(rule, settings.trust)
        rows.append(
            QueueRow(
                id=rule.id,
                title=rule.title,
                directive=rule.directive,
                status=rule.status,
                seeded=rule.seeded,
                confidence=rule.confidence,
                trust=tw,
                score=round(rule.confidence * tw, 4),
                sessions=len(rule.evidence.sessions),
                agents=sorted(rule.evidence.agents),
                scope_agents=rule.scope.agents,
                tools=list(rule.scope.tools),
                badges=badges(rule, unexplained),
            )
        )
    rows.sort(key=lambda r: (STATUS_ORDER.index(r.status), -r.score, r.id))
    return Queue(
        rows=rows,
        counts=counts,
        total=len(rules),
        agents=sorted({a for r in rules for a in _agents(r)}),
        tools=sorted({t for r in rules for t in r.scope.tools}),
        filters=filters,
    )


def lookup_rule(rules_dir: Path, tenant: str, rule_id: str) -> Rule | None:
    """Rule ``rule_id`` if it is the tenant's or seeded; None if there is no such rule for
    the tenant (another tenant's rule is not there either). A damaged rule file raises."""
    try:
        path = rule_path(rules_dir, rule_id)
    except InputError:
        return None
    if not path.is_file():
        return None
    rule = load_rule(path)
    return rule if rule.scope.tenant in (tenant, "*") else None


def fix_summary(x: Explanation) -> str | None:
    """What fixed the failure and how often, from the motif's fix facts (or its recovery)."""
    motifs = [m for m in (x.motif, *x.merged) if m is not None]
    for motif in motifs:
        facts: dict[str, Any] = motif.facts or {}
        fix = facts.get("fix") or facts.get("quote")
        if fix:
            text = f"{fix}: followed the failure in {facts.get('sessions', 0)} of "
            text += f"{facts.get('of', 0)} sessions ({float(facts.get('rate', 0)):.0%} of "
            text += "the failures)"
            if facts.get("verified"):
                text += "; each time with a successful result of its own"
            return text
        recovery = motif.recovery or {}
        if recovery.get("fix"):
            return (
                f"{recovery['fix']}: in {recovery.get('sessions', '?')} sessions "
                f"({float(recovery.get('rate', 0)):.0%} of the failures)"
            )
    return None


class RuleView(_Model):
    """Everything the rule page shows but the previews (:mod:`reverie.web.preview`)."""

    rule: Rule
    explanation: Explanation
    badges: list[Badge]
    trust: float
    score: float
    fix: str | None
    editable: dict[str, str]


def rule_view(workspace: Workspace, tenant: str, rule: Rule) -> RuleView:
    """``explain``'s explanation of ``rule``, with its flags, trust and fix."""
    settings = workspace.settings
    unexplained = unexplained_rules(workspace.audit.state_dir, [rule])
    tw = trust_weight(rule, settings.trust)
    x = explain(workspace, tenant, rule)
    return RuleView(
        rule=rule,
        explanation=x,
        badges=badges(rule, unexplained),
        trust=tw,
        score=round(rule.confidence * tw, 4),
        fix=fix_summary(x),
        editable={"title": rule.title, "directive": rule.directive, "when": rule.when,
                  "because": rule.because},
    )


class AuditView(_Model):
    """``reverie audit verify`` for the page, and the tenant's latest decisions."""

    ok: bool
    error: str | None = None
    entries: int = 0
    head: str = ""
    legacy: int = 0
    unexplained: dict[str, str] = Field(default_factory=dict)
    latest: list[AuditEntry] = Field(default_factory=list)


def audit_view(workspace: Workspace, tenant: str, limit: int = 50) -> AuditView:
    """Verify the log (under the workspace lock, as the CLI does) and list the tenant's
    latest ``limit`` decisions, newest first; rules checked are the tenant's."""
    error, report = None, None
    try:
        report = workspace.audit.verify()
    except AuditError as exc:
        error = str(exc)
    rules = load_rules(workspace.rules_dir, tenant)
    unexplained = unexplained_rules(workspace.audit.state_dir, rules)
    try:
        latest = list(workspace.audit.entries(tenant=tenant))[-limit:][::-1]
    except AuditError as exc:  # an unreadable entry: verify has said so already
        error, latest = error or str(exc), []
    return AuditView(
        ok=error is None and not unexplained,
        error=error,
        entries=report.entries if report else 0,
        head=report.head if report else "",
        legacy=report.legacy if report else 0,
        unexplained=unexplained,
        latest=latest,
    )


def known_tenants(workspace: Workspace) -> list[str]:
    """Tenants with data in the store or rules in the rule book, and the default one."""
    named = {r.scope.tenant for r in load_rules(workspace.rules_dir)} - {"*"}
    return sorted({workspace.tenant, *workspace.store.tenants(), *named})
