"""Erasure: ``reverie forget`` removes sessions' content and everything derived from it.

:func:`forget` runs, for one tenant and the sessions chosen by ``--session``,
``--source`` or ``--agent`` (with their subagent sessions):

1. an ``erase`` entry in the audit log (ids, counts, selector and reason; no
   content), whose ``seq`` and the erasure id go into every tombstone;
2. :meth:`~reverie.store.sqlite.SQLiteStore.erase`: the events' text, tool
   input and attrs, the sessions' task, their outcomes and mining records go;
   tombstones keep ids, kind, times and links, so the graph stays explainable;
   with ``--agent``, the agent's recorded uses of rules over MCP (``reverie
   mcp``: retrievals and feedback notes) go too;
3. derived files are scrubbed of the text that only the erased sessions held
   (:mod:`reverie.forget.scrub`: rule files, render records and rendered files,
   cached LLM answers, and at the end the audit log);
4. the tenant is mined again and the curation workflow
   (:func:`reverie.workflow.curate`) runs the dream's reinforce / retire logic
   over the rules those motifs fed: evidence sessions that were erased are dropped,
   support is recomputed, and a rule that falls below ``min_sessions`` (or
   loses all evidence) gets a retirement proposal, in its history and the audit;
5. the store is compacted (``secure_delete``, ``VACUUM``,
   ``wal_checkpoint(TRUNCATE)``) and the workspace is checked for residue.

All of it runs under the workspace lock; every rule file it changes is
written together with its audit entry (``erase_text``, ``propose_retirement``),
so the rule files stay explained by the log (:mod:`reverie.audit.rules`).

The transcript files themselves are the user's and are not touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import InputError
from reverie.forget import scrub
from reverie.ids import make_id
from reverie.models import CurationDecision, Event, Motif, Outcome, Session
from reverie.names import safe_agent
from reverie.redact.redactor import Redactor, key_path, visited_fields
from reverie.resources import data_dir
from reverie.rulebook.distill import Distiller
from reverie.rulebook.dream import ACTIVE, DreamPolicy
from reverie.rulebook.rules import Flag, HistoryEntry, Rule, load_rules
from reverie.settings import Settings
from reverie.store.base import GraphStore, is_erased, live_session_ids
from reverie.workflow import curate, mine_tenant
from reverie.workspace import Workspace

__all__ = [
    "ErasureReport",
    "forget",
    "is_erased",
    "live_session_ids",
    "select_sessions",
]

ACTOR = "forget"
# What a tombstone keeps (ids, links, names, the source) or Reverie writes itself (flags):
# everything else a session, its events and its outcome hold is erased content, whose
# tokens are scrubbed from derived files. A field added to a model counts as erased
# content until listed here.
TOMBSTONE_KEEPS: dict[type, frozenset[str]] = {
    Session: frozenset({"native_id", "agent", "format", "source_file", "tenant", "model",
                        "parent_native_id", "parent_call_id"}),
    Event: frozenset({"source", "key", "tool", "call_id", "model", "usage", "flags"}),
    Outcome: frozenset({"source"}),
}  # fmt: skip


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


def _stored_forms(value: str, redactor: Redactor | None) -> list[str]:
    """``value`` as a user gives it, and as ingest stored it (redacted)."""
    forms = [value]
    if redactor is not None:
        forms.append(redactor.redact_text(value))
    return list(dict.fromkeys(forms))


def _find_session(
    store: GraphStore, tenant: str, ref: str, redactor: Redactor | None
) -> Session | None:
    for form in _stored_forms(ref, redactor):
        found = store.find_session(tenant, form)
        if found is not None:
            return found
    return None


def select_sessions(
    store: GraphStore,
    tenant: str,
    *,
    sessions: Iterable[str] = (),
    source: str | None = None,
    agent: str | None = None,
    redactor: Redactor | None = None,
) -> list[Session]:
    """The tenant's sessions named by id, source file or agent, plus their subagent sessions.

    With the workspace's ``redactor``, a native id, path or agent name is also
    looked up the way ingest stored it (redacted), so a user can name a
    session by the raw values they know.
    """
    refs = list(sessions)
    if not refs and source is None and agent is None:
        raise InputError("say what to forget: --session ID, --source FILE or --agent NAME")
    everything = store.sessions(tenant)
    chosen: dict[str, Session] = {}
    for ref in refs:
        found = _find_session(store, tenant, ref, redactor)
        if found is None:
            raise InputError(f"no session {ref!r} in tenant {tenant!r} (or an ambiguous prefix)")
        chosen[found.id] = found
    if source is not None:
        paths = {source, str(Path(source).expanduser().resolve())}
        wanted = {form for path in paths for form in _stored_forms(path, redactor)}
        hits = [s for s in everything if s.source_file in wanted]
        if not hits:
            raise InputError(f"no sessions from source {source!r} in tenant {tenant!r}")
        chosen.update((s.id, s) for s in hits)
    if agent is not None:
        names = {n for form in _stored_forms(agent, redactor) for n in (form, safe_agent(form))}
        hits = [s for s in everything if s.agent in names]
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
    """The text erasure removes: what the tombstone does not keep (:data:`TOMBSTONE_KEEPS`)."""
    outcomes = store.outcomes(tenant)
    for s in sessions:
        yield from _erased_values(s)
        for ev in store.events(tenant, session_id=s.id):
            yield from _erased_values(ev)
        outcome = outcomes.get(s.id)
        if outcome is not None:
            yield from _erased_values(outcome)


def _erased_values(record: Session | Event | Outcome) -> Iterable[str]:
    keeps = TOMBSTONE_KEEPS[type(record)]
    for name in visited_fields(type(record)):
        value = getattr(record, name)
        if name in keeps or not value:
            continue
        yield value if isinstance(value, str) else orjson.dumps(value, default=str).decode()


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


def _fed_motifs(motifs: list[Motif], rules_dir: Path, tenant: str) -> list[Motif]:
    """Motifs that an existing rule of the tenant was derived from (reinforce/retire only)."""
    rules = [r for r in load_rules(rules_dir, tenant) if not r.seeded]
    ids = {r.evidence.motif_id for r in rules}
    sigs = {s for r in rules for s in r.evidence.signature_ids}
    return [m for m in motifs if m.id in ids or sigs & set(m.signature_ids)]


def forget(
    workspace: Workspace,
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
    """Erase the chosen sessions of ``tenant`` from the workspace (see the module docstring).

    Unless ``dry_run``, the erasure holds the workspace lock
    (:meth:`~reverie.workspace.Workspace.locked`); its rule book and audit
    log are the workspace's.
    """
    settings, store = workspace.settings, workspace.store
    redactor = _workspace_redactor(settings)
    chosen = select_sessions(
        store, tenant, sessions=sessions, source=source, agent=agent, redactor=redactor
    )
    ids = [s.id for s in chosen]
    selector = {
        k: v for k, v in (("sessions", list(sessions)), ("source", source), ("agent", agent)) if v
    }
    reason = reason.strip() or "erasure requested"
    if redactor is not None:  # the report and the audit log never hold what was erased
        selector, reason = redactor.redact_value(selector), redactor.redact_text(reason)
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
    with workspace.locked("reverie forget"):
        _erase(report, workspace, chosen, distiller)
    return report


def _erase(
    report: ErasureReport,
    workspace: Workspace,
    chosen: list[Session],
    distiller: Distiller | None,
) -> None:
    """Steps 1 to 5 of the module docstring, with the workspace lock held."""
    settings, store, audit = workspace.settings, workspace.store, workspace.audit
    rules_dir = workspace.rules_dir
    tenant, now, ids = report.tenant, report.at, report.sessions
    tokens = erased_only_tokens(store, tenant, chosen, settings)
    report.motifs_before = len(store.motifs(tenant))
    entry = audit.append(
        tenant,
        CurationDecision(
            action="erase",
            actor=ACTOR,
            reason=report.reason,
            at=now,
            details={"erasure": report.erasure, "selector": report.selector, "sessions": ids},
        ),
    )
    report.audit_seq = entry.seq
    tombstone = {"erasure": report.erasure, "audit_seq": entry.seq, "at": now.isoformat()}
    report.erased = store.erase(tenant, ids, tombstone)
    if "agent" in report.selector:  # the agent's uses of rules over MCP (notes) go with it
        report.erased["rule_uses"] = store.erase_rule_uses(tenant, report.agents)
    replace = scrub.make_replacer(tokens)
    scrubbed: list[Rule] = []
    report.rules_scrubbed = scrub.scrub_rules(
        rules_dir,
        tenant,
        replace,
        now=now,
        erasure=report.erasure,
        write=lambda _folder, rule: scrubbed.append(rule),
    )
    audit.commit(
        tenant,
        [
            CurationDecision(
                action="erase_text",
                rule_id=rule.id,
                actor=ACTOR,
                reason="text that came only from erased sessions was removed",
                at=now,
                details={"erasure": report.erasure},
            )
            for rule in scrubbed
        ],
        scrubbed,
        rules_dir,
        command="reverie forget",
    )
    report.files_scrubbed = scrub.scrub_render_records(
        settings.state_dir, settings.root, tenant, replace
    )
    report.caches_removed = scrub.scrub_caches(settings.state_dir, tokens)
    _recompute(report, workspace, tenant, now, distiller)
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


def _workspace_redactor(settings: Settings) -> Redactor | None:
    """The redactor ingest used, if the workspace has one (never makes a key)."""
    if not settings.redact.enabled or not key_path(settings).is_file():
        return None
    return Redactor.from_settings(settings)


def _recompute(
    report: ErasureReport,
    workspace: Workspace,
    tenant: str,
    now: datetime,
    distiller: Distiller | None,
) -> None:
    """Mine again, then reinforce / retire the rules the erased sessions fed."""
    policy = DreamPolicy.from_settings(workspace.settings)
    motifs = mine_tenant(workspace, tenant, min_sessions=policy.min_sessions)
    report.motifs_after = len(motifs)
    result = curate(
        workspace,
        tenant,
        now=now,
        policy=policy,
        distiller=distiller,
        motifs=_fed_motifs(motifs, workspace.rules_dir, tenant),
    )
    report.decisions = result.decisions + _below_threshold(
        workspace, tenant, set(report.sessions), policy, now
    )
    report.retirements = sorted(
        {d.rule_id for d in report.decisions if d.action == "propose_retirement" and d.rule_id}
    )


def _below_threshold(
    workspace: Workspace, tenant: str, erased: set[str], policy: DreamPolicy, now: datetime
) -> list[CurationDecision]:
    """Propose retiring rules that lost evidence to this erasure and fell below min_sessions."""
    decisions: list[CurationDecision] = []
    changed: list[Rule] = []
    for rule in load_rules(workspace.rules_dir, tenant):
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
        decisions.append(decision)
        changed.append(rule)
    workspace.audit.commit(
        tenant, decisions, changed, workspace.rules_dir, command="reverie forget"
    )
    return decisions
