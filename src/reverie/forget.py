"""Erasure: ``reverie forget`` removes sessions' content and everything derived from it.

:func:`forget` runs, for one tenant and the sessions chosen by ``--session``,
``--source`` or ``--agent`` (with their subagent sessions):

1. an ``erase`` entry in the audit log (ids, counts, selector and reason; no
   content), whose ``seq`` and the erasure id go into every tombstone;
2. :meth:`~reverie.store.sqlite.SQLiteStore.erase`: the events' text, tool
   input and attrs, the sessions' task, their outcomes and mining records go;
   tombstones keep ids, kind, times and links, so the graph stays explainable;
3. derived files are scrubbed of the text that only the erased sessions held
   (:mod:`reverie.scrub`: rule files, render records and rendered files,
   cached LLM answers, and at the end the audit log);
4. the tenant is mined again and the dream's reinforce / retire logic runs over
   the rules those motifs fed: evidence sessions that were erased are dropped,
   support is recomputed, and a rule that falls below ``min_sessions`` (or
   loses all evidence) gets a retirement proposal, in its history and the audit;
5. the store is compacted (``secure_delete``, ``VACUUM``,
   ``wal_checkpoint(TRUNCATE)``) and the workspace is checked for residue.

The transcript files themselves are the user's and are not touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import orjson
from pydantic import BaseModel, ConfigDict, Field

from reverie import scrub
from reverie.audit import AuditLog
from reverie.distill import Distiller, EvidenceItem
from reverie.dream import ACTIVE, DreamPolicy, dream
from reverie.errors import InputError, ReverieError
from reverie.ids import make_id
from reverie.mine import mine
from reverie.models import CurationDecision, Motif, Session
from reverie.resources import data_dir
from reverie.rule_evidence import event_refs, evidence_items, fetch_events
from reverie.rulebook import Flag, HistoryEntry, load_rules, write_rule
from reverie.settings import Settings
from reverie.store.base import GraphStore

__all__ = [
    "ErasableStore",
    "ErasureReport",
    "forget",
    "is_erased",
    "live_session_ids",
    "select_sessions",
]

ACTOR = "forget"


@runtime_checkable
class ErasableStore(Protocol):
    """A store that can erase sessions' content (the embedded store does)."""

    def erase(
        self, tenant: str, session_ids: Iterable[str], tombstone: dict[str, Any]
    ) -> dict[str, int]: ...

    def compact(self) -> None: ...


class ErasureReport(BaseModel):
    """What one erasure did (``reverie forget --json`` prints exactly this)."""

    model_config = ConfigDict(extra="forbid")

    erasure: str
    tenant: str
    selector: dict[str, Any]
    reason: str
    at: datetime
    dry_run: bool = False
    sessions: list[str]
    agents: list[str]
    audit_seq: int | None = None
    erased: dict[str, int] = Field(default_factory=dict)
    motifs_before: int = 0
    motifs_after: int = 0
    decisions: list[CurationDecision] = Field(default_factory=list)
    retirements: list[str] = Field(default_factory=list)
    rules_scrubbed: list[str] = Field(default_factory=list)
    files_scrubbed: list[str] = Field(default_factory=list)
    caches_removed: list[str] = Field(default_factory=list)
    audit_rewritten: list[int] = Field(default_factory=list)
    residue: list[str] = Field(default_factory=list)


def is_erased(session: Session) -> bool:
    return "erased" in session.attrs


def live_session_ids(store: GraphStore, tenant: str) -> set[str]:
    """The tenant's sessions that were not erased (the dream's ``live_sessions``)."""
    return {s.id for s in store.sessions(tenant) if not is_erased(s)}


def select_sessions(
    store: GraphStore,
    tenant: str,
    *,
    sessions: Iterable[str] = (),
    source: str | None = None,
    agent: str | None = None,
) -> list[Session]:
    """The tenant's sessions named by id, source file or agent, plus their subagent sessions."""
    refs = list(sessions)
    if not refs and source is None and agent is None:
        raise InputError("say what to forget: --session ID, --source FILE or --agent NAME")
    everything = store.sessions(tenant)
    chosen: dict[str, Session] = {}
    for ref in refs:
        found = store.find_session(tenant, ref)
        if found is None:
            raise InputError(f"no session {ref!r} in tenant {tenant!r} (or an ambiguous prefix)")
        chosen[found.id] = found
    if source is not None:
        wanted = {source, str(Path(source).expanduser().resolve())}
        hits = [s for s in everything if s.source_file in wanted]
        if not hits:
            raise InputError(f"no sessions from source {source!r} in tenant {tenant!r}")
        chosen.update((s.id, s) for s in hits)
    if agent is not None:
        hits = [s for s in everything if s.agent == agent]
        if not hits:
            raise InputError(f"no sessions of agent {agent!r} in tenant {tenant!r}")
        chosen.update((s.id, s) for s in hits)
    grew = True
    while grew:  # subagent sessions of chosen ones, at any depth
        children = [s for s in everything if s.parent_id in chosen and s.id not in chosen]
        chosen.update((s.id, s) for s in children)
        grew = bool(children)
    return sorted(chosen.values(), key=lambda s: s.id)


def _content(store: GraphStore, tenant: str, sessions: list[Session]) -> Iterable[str]:
    for s in sessions:
        if s.task:
            yield s.task
        if s.attrs:
            yield orjson.dumps(s.attrs, default=str).decode()
        for ev in store.events(tenant, session_id=s.id):
            for value in (ev.text, ev.tool_input, ev.attrs or None):
                if isinstance(value, str):
                    yield value
                elif value is not None:
                    yield orjson.dumps(value, default=str).decode()


def _known_text(settings: Settings) -> Iterable[str]:
    """Text that is Reverie's own (templates, schemas, seeded rules, settings)."""
    folders = [settings.prompts_dir, settings.graph_dir, data_dir("prompts"), data_dir("graph")]
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")) if Path(folder).is_dir() else []:
            if path.is_file():
                yield path.read_text(encoding="utf-8", errors="replace")
    for rule in load_rules(settings.rules_dir):
        if rule.seeded:
            yield orjson.dumps(rule.model_dump(mode="json")).decode()
    config = settings.root / "reverie.toml"
    if config.is_file():
        yield config.read_text(encoding="utf-8")


def erased_only_tokens(
    store: GraphStore, tenant: str, sessions: list[Session], settings: Settings
) -> set[str]:
    """Distinctive tokens of the sessions' content that nothing live or built-in holds."""
    tokens: set[str] = set()
    for text in _content(store, tenant, sessions):
        tokens |= scrub.distinctive_tokens(text)
    if not tokens:
        return tokens
    erased = {s.id for s in sessions}
    for text in _known_text(settings):
        tokens -= scrub.distinctive_tokens(text)
    for other in store.tenants():
        live = [s for s in store.sessions(other) if other != tenant or s.id not in erased]
        for text in _content(store, other, live):
            if tokens:
                tokens -= scrub.distinctive_tokens(text)
    return tokens


def _fed_motifs(motifs: list[Motif], settings: Settings, tenant: str) -> list[Motif]:
    """Motifs that an existing rule of the tenant was derived from (reinforce/retire only)."""
    rules = [r for r in load_rules(settings.rules_dir, tenant) if not r.seeded]
    ids = {r.evidence.motif_id for r in rules}
    sigs = {s for r in rules for s in r.evidence.signature_ids}
    return [m for m in motifs if m.id in ids or sigs & set(m.signature_ids)]


def forget(
    settings: Settings,
    store: GraphStore,
    tenant: str,
    *,
    sessions: Iterable[str] = (),
    source: str | None = None,
    agent: str | None = None,
    reason: str = "",
    now: datetime,
    distiller: Distiller | None = None,
    dry_run: bool = False,
) -> ErasureReport:
    """Erase the chosen sessions of ``tenant`` (see the module docstring)."""
    if not isinstance(store, ErasableStore):
        raise ReverieError(f"the {store.info().get('kind')} store does not support erasure yet")
    chosen = select_sessions(store, tenant, sessions=sessions, source=source, agent=agent)
    ids = [s.id for s in chosen]
    selector = {
        k: v for k, v in (("sessions", list(sessions)), ("source", source), ("agent", agent)) if v
    }
    reason = reason.strip() or "erasure requested"
    report = ErasureReport(
        erasure=make_id("erasure", tenant, ids, now.isoformat()),
        tenant=tenant,
        selector=selector,
        reason=reason,
        at=now,
        dry_run=dry_run,
        sessions=ids,
        agents=sorted({s.agent for s in chosen}),
    )
    if dry_run:
        return report
    tokens = erased_only_tokens(store, tenant, chosen, settings)
    report.motifs_before = len(store.motifs(tenant)) if hasattr(store, "motifs") else 0
    audit = AuditLog(settings.state_dir)
    entry = audit.append(
        tenant,
        CurationDecision(
            action="erase",
            actor=ACTOR,
            reason=reason,
            at=now,
            details={"erasure": report.erasure, "selector": selector, "sessions": ids},
        ),
    )
    report.audit_seq = entry.seq
    tombstone = {"erasure": report.erasure, "audit_seq": entry.seq, "at": now.isoformat()}
    report.erased = store.erase(tenant, ids, tombstone)
    replace = scrub.make_replacer(tokens)
    report.rules_scrubbed = scrub.scrub_rules(
        settings.rules_dir, tenant, replace, now=now, erasure=report.erasure
    )
    report.files_scrubbed = scrub.scrub_render_records(
        settings.state_dir, settings.root, tenant, replace
    )
    report.caches_removed = scrub.scrub_caches(settings.state_dir, tokens)
    _recompute(report, settings, store, tenant, now, distiller)
    report.audit_rewritten = scrub.scrub_audit(audit, tenant, replace)
    if report.audit_rewritten:
        audit.append(
            tenant,
            CurationDecision(
                action="erase_audit_text",
                actor=ACTOR,
                reason="audit entries that quoted erased text were rewritten and re-chained",
                at=now,
                details={"erasure": report.erasure, "entries": report.audit_rewritten},
            ),
        )
    store.compact()
    report.residue = scrub.residue(settings.root, tokens)
    return report


def _recompute(
    report: ErasureReport,
    settings: Settings,
    store: Any,
    tenant: str,
    now: datetime,
    distiller: Distiller | None,
) -> None:
    """Mine again, then reinforce / retire the rules the erased sessions fed."""
    policy = DreamPolicy.from_settings(settings)
    motifs = mine(store, tenant, settings.mine, settings.trust, min_sessions=policy.min_sessions)
    report.motifs_after = len(motifs)

    def evidence_for(motif: Motif) -> list[EvidenceItem]:
        return evidence_items(motif, fetch_events(store, tenant, event_refs(motif)))

    result = dream(
        rules_dir=settings.rules_dir,
        audit=AuditLog(settings.state_dir),
        tenant=tenant,
        motifs=_fed_motifs(motifs, settings, tenant),
        now=now,
        policy=policy,
        distiller=distiller,
        evidence_for=evidence_for,
        live_sessions=live_session_ids(store, tenant),
    )
    report.decisions = result.decisions + _below_threshold(
        settings, tenant, set(report.sessions), policy, now
    )
    report.retirements = sorted(
        {d.rule_id for d in report.decisions if d.action == "propose_retirement" and d.rule_id}
    )


def _below_threshold(
    settings: Settings, tenant: str, erased: set[str], policy: DreamPolicy, now: datetime
) -> list[CurationDecision]:
    """Propose retiring rules that lost evidence to this erasure and fell below min_sessions."""
    audit = AuditLog(settings.state_dir)
    decisions = []
    for rule in load_rules(settings.rules_dir, tenant):
        lost = any(
            h.action == "erase_evidence"
            and h.at == now
            and erased & set(h.details.get("sessions", []) + h.details.get("removed_sessions", []))
            for h in rule.history
        )
        left = len(rule.evidence.sessions)
        if rule.seeded or rule.status not in ACTIVE or not lost or rule.open_flags("retire"):
            continue
        if left >= policy.min_sessions:
            continue
        reason = (
            f"support fell below the threshold after an erasure: {left} sessions left, "
            f"min_sessions {policy.min_sessions}"
        )
        decision = CurationDecision(
            action="propose_retirement",
            rule_id=rule.id,
            motif_id=rule.evidence.motif_id,
            actor="dream",
            reason=reason,
            at=now,
        )
        rule.flags.append(Flag(kind="retire", reason=reason, at=now))
        rule.history.append(
            HistoryEntry(action=decision.action, actor="dream", at=now, reason=reason)
        )
        rule.version += 1
        rule.updated = now
        write_rule(settings.rules_dir, rule)
        audit.append(tenant, decision)
        decisions.append(decision)
    return decisions
