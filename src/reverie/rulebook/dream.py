"""The dream: one curation cycle over a tenant's rule book and its current motifs.

For each motif (of this tenant only, with at least ``min_sessions`` sessions,
highest score first):

- no rule has it yet -> distill a **proposed** rule (``quarantined`` if its
  evidence is low-trust or flagged as a possible injection; ``approved`` only
  when the ``[dream] auto_approve`` policy allows, the evidence is trusted, and
  the rule is neither ``needs-directive`` (no fix to name: its directive is
  left to a reviewer) nor ``destructive``); a motif whose fix restates a
  seeded rule (its ``matches`` patterns) is **merged into it** instead: logged
  once in the tenant's audit log, no new rule;
- a rule has it -> **reinforce** the rule when the evidence changed (sessions,
  support, last seen, confidence); a motif hit by several agents independently
  (``Motif.cross_agent``) **promotes** the rule's scope to ``fleet`` within
  the tenant (not an environment fact: that stays with the agents that met
  it); a ``needs-directive`` rule whose motif now shows a fix gets its
  **directive**.

Then, over the rule book: a rule whose evidence stopped (no occurrence within
``evidence_window_days`` of ``now``) or was erased gets a **retirement
proposal**; two rules in overlapping scope whose directives contradict are
both **flagged**, each with both evidence sets; near-duplicates in overlapping
scope, and rules with the same directive whatever their scope, get a **merge
proposal**. With ``usage`` (how agents used the rules served to them over MCP,
:mod:`reverie.rulebook.usage`), an approved rule reported unhelpful in most
uses goes **back to review** (``demote_unhelpful``: proposed, flagged
``unhelpful``, lower confidence), and one no agent retrieved while others were
is **flagged unused** (``flag_unused``: lower confidence, still approved).
Every decision is appended to the rule's ``history`` and to the audit log;
``dry_run`` computes the same decisions and writes nothing. A cycle that finds
nothing new writes nothing, so rule files stay byte-identical.

A cycle is one unit: it runs under the workspace lock (so ids are allocated
against the rule book as it is, and two dreams, or a dream and a review,
never overwrite each other) and its entries and rule files are written
through a journal (:mod:`reverie.audit.journal`): a crash leaves either the whole
cycle or none of it once the next command has taken the lock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reverie.audit.log import AuditLog
from reverie.errors import LLMError
from reverie.models import CurationDecision, Motif
from reverie.rulebook.directives import conflict, near_duplicate
from reverie.rulebook.distill import (
    Distiller,
    EvidenceItem,
    RuleDraft,
    TemplateDistiller,
    motif_facts,
)
from reverie.rulebook.evidence import evidence_from_motif
from reverie.rulebook.rules import (
    DESTRUCTIVE,
    NEEDS_DIRECTIVE,
    Flag,
    HistoryEntry,
    Rule,
    Scope,
    load_rules,
    next_rule_id,
    rule_path,
)
from reverie.rulebook.usage import UNHELPFUL, UsageReader, judge
from reverie.settings import Settings

__all__ = ["ACTIVE", "DreamPolicy", "DreamReport", "confidence", "dream", "quarantine_reason"]

ACTOR = "dream"
POLICY_ACTOR = "dream (auto-approve policy)"
ACTIVE = ("proposed", "approved", "quarantined")
INJECTION_FLAGS = ("quarantine", "injection", "possible_injection", "untrusted")


class DreamPolicy(BaseModel):
    """The thresholds of one cycle (from ``[dream]``, ``[mine]`` and ``[trust]``)."""

    model_config = ConfigDict(extra="forbid")

    min_sessions: int = Field(default=3, ge=1)
    evidence_window_days: int = Field(default=30, ge=1)
    auto_approve: bool = False
    auto_approve_confidence: float = 0.8
    auto_approve_trust: float = 0.5
    quarantine_below: float = 0.5
    reference_trust: float = Field(default=0.6, gt=0, description="Trust weight of tool output.")
    usage_window_days: int = Field(default=30, ge=1)
    usage_min_feedback: int = Field(default=3, ge=1)

    @classmethod
    def from_settings(cls, settings: Settings, min_sessions: int | None = None) -> DreamPolicy:
        d = settings.dream
        return cls(
            min_sessions=min_sessions or settings.mine.min_sessions,
            evidence_window_days=d.evidence_window_days,
            auto_approve=d.auto_approve,
            auto_approve_confidence=d.auto_approve_confidence,
            auto_approve_trust=d.auto_approve_trust,
            quarantine_below=settings.trust.quarantine_below,
            reference_trust=settings.trust.tool,
            usage_window_days=d.usage_window_days,
            usage_min_feedback=d.usage_min_feedback,
        )


class DreamReport(BaseModel):
    """What a cycle decided (and, unless ``dry_run``, wrote)."""

    model_config = ConfigDict(extra="forbid")

    tenant: str
    at: datetime
    dry_run: bool
    motifs: int
    rules: int
    decisions: list[CurationDecision] = Field(default_factory=list)
    written: list[str] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(d.action for d in self.decisions).items()))


def average_trust(motif: Motif) -> float:
    return motif.trust_support / motif.support if motif.support else 0.0


GENERIC = 0.5
"""Fix factor of a rule without a fix to name (needs-directive)."""
FIX_FACTOR = {"user": 0.6, "environment": 0.75}
"""Fix factor of a user's correction (one person's words) and of an environment fact."""
DESTRUCTIVE_FACTOR = 0.5


def confidence(motif: Motif, policy: DreamPolicy, needs_directive: bool = False) -> float:
    """0..1 from distinct sessions, the fix's class and consistency, and trust (docs/rules.md).

    (1 - 0.6^sessions) x fix x min(1, mean trust / reference trust), where fix is
    0.7 + 0.15 x the fix's share of sessions + 0.15 x its rate over failures for a
    verified fix that recurred across sessions, 0.75 for an environment fact,
    0.6 for a user's correction, else 0.5 (no fix to name: such a rule needs a
    reviewer's directive however often it was seen); halved when the fix is
    destructive.
    """
    facts = motif_facts(motif)
    base = 1 - 0.6 ** len(motif.sessions)
    if needs_directive or facts.needs_directive:
        fix = GENERIC
    elif facts.cls in FIX_FACTOR:
        fix = FIX_FACTOR[facts.cls]
    elif facts.cls != "none" and facts.verified:
        share = facts.sessions / facts.of if facts.of else facts.rate
        fix = 0.7 + 0.15 * min(share, 1.0) + 0.15 * min(facts.rate, 1.0)
    else:
        fix = GENERIC
    if facts.destructive:
        fix *= DESTRUCTIVE_FACTOR
    trust = min(1.0, average_trust(motif) / policy.reference_trust)
    return round(min(1.0, base * fix * trust), 3)


def quarantine_reason(motif: Motif, items: list[EvidenceItem], policy: DreamPolicy) -> str | None:
    """Why a new rule must be quarantined (flagged or low-trust evidence), or None."""
    flags = sorted({f for f in motif.flags for i in INJECTION_FLAGS if i in f.lower()})
    flags += sorted({f for e in items for f in e.flags for i in INJECTION_FLAGS if i in f.lower()})
    if flags:
        return f"evidence flagged {', '.join(dict.fromkeys(flags))}: possible injection"
    if items and all(e.trust == "external" for e in items):
        return "backed only by external (fetched) content"
    avg = average_trust(motif)
    if avg < policy.quarantine_below:
        return (
            f"backed only by low-trust evidence (average trust {avg:.2f} < "
            f"quarantine_below {policy.quarantine_below})"
        )
    return None


def _scopes_overlap(a: Scope, b: Scope) -> bool:
    if a.tenant != b.tenant and "*" not in (a.tenant, b.tenant):
        return False
    if a.agents != "fleet" and b.agents != "fleet" and not set(a.agents) & set(b.agents):
        return False
    return not (a.tools and b.tools and not set(a.tools) & set(b.tools))


def _evidence_summary(rule: Rule) -> dict[str, Any]:
    ev = rule.evidence
    return {
        "directive": rule.directive,
        "motif_id": ev.motif_id,
        "sessions": ev.sessions,
        "agents": ev.agents,
        "support": ev.support,
        "events": [f"{e.file}:{e.line}" for e in ev.events],
    }


class _Cycle:
    """The working state of one cycle: copies of the rules and the decisions so far."""

    def __init__(
        self, rules_dir: Path, tenant: str, policy: DreamPolicy, now: datetime, audit: AuditLog
    ):
        self.rules_dir, self.tenant, self.policy, self.now, self.audit = (
            rules_dir,
            tenant,
            policy,
            now,
            audit,
        )
        self.rules: dict[str, Rule] = {r.id: r for r in load_rules(rules_dir, tenant)}
        self.changed: set[str] = set()
        self.created: set[str] = set()
        self.decisions: list[CurationDecision] = []

    def decide(
        self,
        rule: Rule | None,
        action: str,
        reason: str,
        *,
        motif_id: str | None = None,
        details: dict[str, Any] | None = None,
        actor: str = ACTOR,
    ) -> None:
        decision = CurationDecision(
            action=action,
            rule_id=rule.id if rule else None,
            motif_id=motif_id,
            actor=actor,
            reason=reason,
            at=self.now,
            details=details or {},
        )
        self.decisions.append(decision)
        if rule is None:
            return
        rule.history.append(
            HistoryEntry(
                action=action, actor=actor, at=self.now, reason=reason, details=details or {}
            )
        )
        if rule.id not in self.changed and rule.id not in self.created:
            rule.version += 1
        rule.updated = self.now
        self.changed.add(rule.id)

    def own(self, rule: Rule) -> bool:
        return rule.scope.tenant == self.tenant

    def restated(self, motif: Motif) -> Rule | None:
        """The seeded rule whose patterns the motif's fix facts match, if any."""
        facts = motif_facts(motif)
        for rule in sorted(self.rules.values(), key=lambda r: r.id):
            if rule.seeded and rule.status in ACTIVE and any(
                p.matches(facts.cls, facts.fix, facts.failed) for p in rule.matches
            ):
                return rule
        return None

    def rule_for(self, motif: Motif) -> Rule | None:
        mine = [r for r in self.rules.values() if self.own(r) and not r.seeded]
        exact = next((r for r in mine if r.evidence.motif_id == motif.id), None)
        if exact is not None:
            return exact
        sigs = set(motif.signature_ids)
        return next((r for r in mine if sigs & set(r.evidence.signature_ids)), None)


def _restates(cyc: _Cycle, seeded: Rule, motif: Motif) -> None:
    """A mined motif that restates a seeded rule is merged into it: logged once, no new rule.

    The seeded rule's file is shared by every tenant, so the tenant's evidence
    stays in the tenant's audit log (``explain`` and the dream report show it),
    never in that file.
    """
    seen = cyc.audit.entries(cyc.tenant)
    if any(e.action == "merge_into_seeded" and e.motif_id == motif.id for e in seen):
        return
    facts = motif_facts(motif)
    cyc.decisions.append(
        CurationDecision(
            action="merge_into_seeded",
            rule_id=seeded.id,
            motif_id=motif.id,
            actor=ACTOR,
            reason=f"the motif restates seeded rule {seeded.id} ({seeded.directive!r}): "
            f"{facts.fix} before {facts.failed} in {len(motif.sessions)} sessions",
            at=cyc.now,
            details={"sessions": len(motif.sessions), "agents": sorted(motif.agents),
                     "fix": facts.fix, "failed": facts.failed},
        )
    )


def _add_directive(
    cyc: _Cycle, rule: Rule, motif: Motif, distiller: Distiller, fallback: Distiller,
    items: list[EvidenceItem],
) -> None:
    """A rule waiting for its directive gets one when its motif now shows a fix."""
    drafted = _draft(cyc, motif, distiller, fallback, items)
    if drafted is None or NEEDS_DIRECTIVE in drafted[0].flags or not drafted[0].directive:
        return
    draft = drafted[0]
    rule.title, rule.directive, rule.when, rule.because = (
        draft.title, draft.directive, draft.when, draft.because
    )
    rule.flags = [f for f in rule.flags if f.kind != NEEDS_DIRECTIVE]
    cyc.decide(rule, "add_directive", "a fix now recurs across sessions: "
               f"{draft.directive}", motif_id=motif.id, details={"distiller": draft.distiller})


def _skip(cyc: _Cycle, motif: Motif, why: str) -> None:
    """Log once that no rule could be made from ``motif``."""
    seen = cyc.audit.entries(cyc.tenant)
    if not any(e.action == "skip" and e.motif_id == motif.id for e in seen):
        cyc.decide(None, "skip", f"no rule distilled: {why}", motif_id=motif.id)


def _draft(
    cyc: _Cycle, motif: Motif, distiller: Distiller, fallback: Distiller, items: list[EvidenceItem]
) -> tuple[RuleDraft, str | None] | None:
    """The distiller's draft; the offline one (with a note) if the first is rejected."""
    try:
        return distiller.distill(motif, items), None
    except LLMError as exc:
        if distiller is fallback:
            _skip(cyc, motif, str(exc))
            return None
        note = f"{distiller.name} draft rejected ({exc}); offline template used"
    try:
        return fallback.distill(motif, items), note
    except LLMError as exc:
        _skip(cyc, motif, str(exc))
        return None


def _propose(
    cyc: _Cycle, motif: Motif, distiller: Distiller, fallback: Distiller, items: list[EvidenceItem]
) -> None:
    drafted = _draft(cyc, motif, distiller, fallback, items)
    if drafted is None:
        return
    draft, note = drafted
    rid = next_rule_id(cyc.rules_dir, taken=list(cyc.rules))
    conf = confidence(motif, cyc.policy, NEEDS_DIRECTIVE in draft.flags)
    try:
        rule = _new_rule(cyc, rid, motif, draft, conf)
    except ValidationError as exc:
        _skip(cyc, motif, f"the draft is not a valid rule ({exc.errors()[0]['msg']})")
        return
    cyc.rules[rid] = rule
    cyc.created.add(rid)
    details: dict[str, Any] = {
        "distiller": draft.distiller,
        "confidence": conf,
        "scope": rule.scope.model_dump(mode="json"),
    }
    if note:
        details["note"] = note
    fleet = " (fleet scope: hit independently by several agents)" if _fleet(motif) else ""
    cyc.decide(
        rule,
        "propose",
        f"new motif: {len(motif.sessions)} sessions, "
        f"{len(motif.agents)} agents, support {motif.support}{fleet}",
        motif_id=motif.id,
        details=details,
    )
    _gate(cyc, rule, motif, items, conf)


def _fleet(motif: Motif) -> bool:
    """Fleet scope for a motif several agents hit independently, except an environment fact:
    that holds where those agents ran, not for every agent of the tenant."""
    return motif.cross_agent and motif_facts(motif).cls != "environment"


def _new_rule(cyc: _Cycle, rid: str, motif: Motif, draft: RuleDraft, conf: float) -> Rule:
    return Rule(
        id=rid,
        title=draft.title,
        directive=draft.directive,
        when=draft.when,
        because=draft.because,
        scope=Scope(
            tenant=cyc.tenant,
            agents="fleet" if _fleet(motif) else sorted(motif.agents),
            tools=draft.tools,
        ),
        status="proposed",
        confidence=conf,
        evidence=evidence_from_motif(motif),
        created=cyc.now,
        updated=cyc.now,
        distiller=draft.distiller,
        llm=draft.llm,
        flags=[Flag(kind=k, reason=_FLAG_REASONS[k](motif), at=cyc.now)  # type: ignore[arg-type]
               for k in draft.flags if k in _FLAG_REASONS],
    )


_FLAG_REASONS = {
    NEEDS_DIRECTIVE: lambda m: "no fix recurred across sessions (or none the draft could name): "
    "the rule states the failure; a reviewer writes the directive",
    DESTRUCTIVE: lambda m: "the observed fix is destructive: "
    + "; ".join(motif_facts(m).destructive or ["deletes, forces, bypasses or escalates"]),
}


def _gate(cyc: _Cycle, rule: Rule, motif: Motif, items: list[EvidenceItem], conf: float) -> None:
    """Quarantine low-trust or flagged evidence; else auto-approve when the policy allows."""
    p = cyc.policy
    why = quarantine_reason(motif, items, p)
    if why:
        rule.status = "quarantined"
        cyc.decide(rule, "quarantine", why, motif_id=motif.id)
        return
    trust = average_trust(motif)
    if rule.needs_directive or rule.destructive:
        return  # a reviewer decides: no directive yet, or a destructive fix
    if p.auto_approve and conf >= p.auto_approve_confidence and trust >= p.auto_approve_trust:
        rule.status = "approved"
        cyc.decide(
            rule,
            "auto_approve",
            f"policy: confidence {conf} >= "
            f"{p.auto_approve_confidence} and trust {trust:.2f} >= {p.auto_approve_trust}",
            motif_id=motif.id,
            actor=POLICY_ACTOR,
        )


def _reinforce(cyc: _Cycle, rule: Rule, motif: Motif) -> None:
    if rule.status not in ACTIVE:
        return
    new, old = evidence_from_motif(motif), rule.evidence
    if new != old:
        added = sorted(set(new.sessions) - set(old.sessions))
        removed = sorted(set(old.sessions) - set(new.sessions))
        newer = bool(new.last_seen and (old.last_seen is None or new.last_seen > old.last_seen))
        conf = confidence(motif, cyc.policy, rule.needs_directive)
        details = {
            "new_sessions": added,
            "removed_sessions": removed,
            "support": [old.support, new.support],
            "confidence": [rule.confidence, conf],
            "last_seen": new.last_seen.isoformat() if new.last_seen else None,
        }
        rule.evidence, rule.confidence = new, conf
        if added or newer or not removed:
            rule.flags = [f for f in rule.flags if f.kind != "retire"]
            cyc.decide(
                rule,
                "reinforce",
                f"motif seen again: {len(added)} new sessions, "
                f"support {old.support} -> {new.support}",
                motif_id=motif.id,
                details=details,
            )
        else:
            cyc.decide(
                rule,
                "erase_evidence",
                f"{len(removed)} evidence sessions no longer in the store",
                motif_id=motif.id,
                details=details,
            )
    if _fleet(motif) and rule.scope.agents != "fleet":
        rule.scope.agents = "fleet"
        cyc.decide(
            rule,
            "promote_fleet",
            f"{len(motif.agents)} agents hit this motif "
            f"independently; scope promoted to fleet within tenant {cyc.tenant}",
            motif_id=motif.id,
            details={"agents": sorted(motif.agents)},
        )


def _retire(cyc: _Cycle, rule: Rule, live_sessions: set[str] | None) -> None:
    if rule.seeded or rule.status not in ACTIVE or not rule.evidence.motif_id:
        return
    ev = rule.evidence
    gone = sorted(set(ev.sessions) - live_sessions) if live_sessions is not None else []
    if gone:
        share = (len(ev.sessions) - len(gone)) / len(ev.sessions)
        ev.sessions = [s for s in ev.sessions if s not in gone]
        ev.events = [e for e in ev.events if e.session_id not in gone]
        ev.support, ev.trust_support = round(ev.support * share), round(ev.trust_support * share, 4)
        cyc.decide(
            rule,
            "erase_evidence",
            f"{len(gone)} evidence sessions were erased from the store",
            details={"sessions": gone},
        )
    if rule.open_flags("retire"):
        return
    window = timedelta(days=cyc.policy.evidence_window_days)
    if not ev.sessions:
        reason = "all of its evidence was erased"
    elif ev.last_seen and max(ev.last_seen, rule.created) < cyc.now - window:
        reason = (
            f"no new occurrence since {ev.last_seen.date().isoformat()} (evidence window "
            f"{cyc.policy.evidence_window_days} days, counted from the later of the last "
            "occurrence and the rule's creation)"
        )
    else:
        return
    rule.flags.append(Flag(kind="retire", reason=reason, at=cyc.now))
    cyc.decide(rule, "propose_retirement", reason, motif_id=ev.motif_id)


def _usage(cyc: _Cycle, rule: Rule, usage: UsageReader) -> None:
    """Back to review when agents found the rule unhelpful; flagged when nobody retrieves it."""
    verdict = judge(rule, usage)
    if verdict is None:
        return
    counts = verdict.counts
    details: dict[str, Any] = {
        "since": counts.since.isoformat(), "retrieved": counts.retrieved,
        "helped": counts.helped, "unhelpful": counts.unhelpful,
        "confidence": [rule.confidence, verdict.confidence],
    }
    rule.confidence = verdict.confidence
    rule.flags.append(Flag(kind=verdict.kind, reason=verdict.reason, at=cyc.now, details=details))
    if verdict.kind == UNHELPFUL:
        details["status"] = [rule.status, "proposed"]
        rule.status = "proposed"
        cyc.decide(rule, "demote_unhelpful", verdict.reason, motif_id=rule.evidence.motif_id,
                   details=details)
    else:
        cyc.decide(rule, "flag_unused", verdict.reason, motif_id=rule.evidence.motif_id,
                   details=details)


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.lower().strip(" .").split()) == " ".join(b.lower().strip(" .").split())


_MAX_RELATED = 10
"""Evidence summaries a merge flag carries at most (its ``related`` lists every rule)."""


def _pairs(cyc: _Cycle) -> None:
    """Conflicts (a flag per pair, with both evidence sets) and merge proposals (one flag per
    rule, listing every rule it duplicates: a group of k look-alikes is k flags, not k²)."""
    active = [r for r in cyc.rules.values() if r.status in ACTIVE and r.directive]
    merges: dict[str, dict[str, str]] = {}  # rule id -> related id -> why
    for a, b in combinations(active, 2):
        if not (cyc.own(a) or cyc.own(b)):
            continue
        same = _same_words(a.directive, b.directive)
        overlap = _scopes_overlap(a.scope, b.scope)
        if not same and not overlap:
            continue
        if same:  # one rule however their scopes differ
            why = "says the same as" + ("" if not overlap else " (same scope)")
        elif conflict(a.directive, b.directive):
            _conflict(cyc, a, b)
            continue
        elif near_duplicate(a.directive, b.directive):
            why = "nearly duplicates (same scope)"
        else:
            continue
        merges.setdefault(a.id, {})[b.id] = why
        merges.setdefault(b.id, {})[a.id] = why
    for rid, related in sorted(merges.items()):
        _merge_flag(cyc, cyc.rules[rid], related)


def _conflict(cyc: _Cycle, a: Rule, b: Rule) -> None:
    both = {a.id: _evidence_summary(a), b.id: _evidence_summary(b)}
    for x, y in ((a, b), (b, a)):
        if not cyc.own(x) or any(f.kind == "conflict" and y.id in f.related for f in x.flags):
            continue
        reason = f"{x.id} contradicts {y.id} in the same scope"
        x.flags.append(
            Flag(kind="conflict", reason=reason, at=cyc.now, related=[y.id],
                 details={"evidence": both})
        )
        cyc.decide(x, "flag_conflict", reason, details={"related": y.id, "evidence": both})


def _merge_flag(cyc: _Cycle, rule: Rule, related: dict[str, str]) -> None:
    """One open merge flag per rule: new look-alikes are added to it, each logged once."""
    if not cyc.own(rule):
        return
    flag = next(iter(rule.open_flags("merge")), None)
    known = set(flag.related) if flag is not None else set()
    new = sorted(r for r in related if r not in known)
    if not new:
        return
    reason = "; ".join(f"{rule.id} {related[r]} {r}" for r in new[:_MAX_RELATED])
    if len(new) > _MAX_RELATED:
        reason += f"; and {len(new) - _MAX_RELATED} more"
    evidence = {r: _evidence_summary(cyc.rules[r]) for r in [rule.id, *new][: _MAX_RELATED + 1]}
    if flag is None:
        flag = Flag(kind="merge", reason=reason, at=cyc.now, related=new,
                    details={"evidence": evidence})
        rule.flags.append(flag)
    else:
        flag.related = sorted(known | set(new))
        flag.reason = f"{flag.reason}; {reason}"
        flag.details = {"evidence": {**flag.details.get("evidence", {}), **evidence}}
    cyc.decide(rule, "propose_merge", reason, details={"related": new, "evidence": evidence})


def _curate(
    cyc: _Cycle,
    chosen: list[Motif],
    distiller: Distiller,
    fallback: Distiller,
    evidence_for: Callable[[Motif], list[EvidenceItem]] | None,
    live_sessions: set[str] | None,
    usage: UsageReader | None = None,
) -> None:
    """The cycle's decisions, made on ``cyc``'s copies of the rules (nothing written)."""
    for motif in chosen:
        rule = cyc.rule_for(motif)
        if rule is None:
            seeded = cyc.restated(motif)
            if seeded is not None:
                _restates(cyc, seeded, motif)
                continue
            items = evidence_for(motif) if evidence_for else []
            _propose(cyc, motif, distiller, fallback, items)
        else:
            _reinforce(cyc, rule, motif)
            if rule.needs_directive and motif_facts(motif).cls != "none":
                items = evidence_for(motif) if evidence_for else []
                _add_directive(cyc, rule, motif, distiller, fallback, items)
    for rule in list(cyc.rules.values()):
        if cyc.own(rule):
            _retire(cyc, rule, live_sessions)
            if usage is not None:
                _usage(cyc, rule, usage)
    _pairs(cyc)


def dream(
    *,
    rules_dir: Path,
    audit: AuditLog,
    tenant: str,
    motifs: list[Motif],
    now: datetime,
    policy: DreamPolicy,
    distiller: Distiller | None = None,
    evidence_for: Callable[[Motif], list[EvidenceItem]] | None = None,
    live_sessions: set[str] | None = None,
    dry_run: bool = False,
    usage: UsageReader | None = None,
) -> DreamReport:
    """Run one cycle (see the module docstring); ``now`` is the cycle's clock.

    This is the rule-book primitive: it reads and writes ``rules_dir`` and
    ``audit`` only and takes the motifs, their evidence and ``usage`` as given. The
    workspace-level stage is :func:`reverie.workflow.curate` (``reverie
    dream``), which takes ``(workspace, tenant, ...)`` like every other stage,
    mines the tenant, reads the evidence from the store and calls this.

    Unless ``dry_run``, the whole cycle holds the workspace lock: the rule book
    is read, ids are allocated and the decisions and rule files are written
    (as one journaled unit, :meth:`AuditLog.commit`) with no other command
    writing in between.
    """
    rules_dir = Path(rules_dir)
    chosen = sorted(
        (m for m in motifs if m.tenant == tenant and len(m.sessions) >= policy.min_sessions),
        key=lambda m: (-round(m.score, 6), m.id),
    )
    written: list[str] = []
    with nullcontext() if dry_run else audit.locked("reverie dream"):
        cyc = _Cycle(rules_dir, tenant, policy, now, audit)
        fallback = TemplateDistiller(rules_dir.parent)
        _curate(cyc, chosen, distiller or fallback, fallback, evidence_for, live_sessions, usage)
        if not dry_run:
            changed = [cyc.rules[rid] for rid in sorted(cyc.changed)]
            audit.commit(tenant, cyc.decisions, changed, rules_dir, command="reverie dream")
            written = [str(rule_path(rules_dir, r.id)) for r in changed]
    return DreamReport(
        tenant=tenant,
        at=now,
        dry_run=dry_run,
        motifs=len(chosen),
        rules=len(cyc.rules),
        decisions=cyc.decisions,
        written=written,
    )
