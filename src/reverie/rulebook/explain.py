"""Explain: why does this rule exist? From a rule back to the exact transcript lines.

:func:`explain` gathers, for one rule of one tenant:

- the rule itself and its motif with the motif's scores (from the store's
  mined motifs, else the evidence recorded on the rule);
- the failures: the rule's evidence events and more of the motif's failures
  (``failure_examples`` of the store), each with the call that failed and the
  next action the agent took (usually the fix), as ``file:line`` and the text
  exactly as stored (already redacted at ingest);
- the agents and sessions, and every decision in the rule's history together
  with the audit-log entries about the rule;
- for a seeded rule, the tenant's motifs the dream merged into it
  (``merge_into_seeded`` in the tenant's audit log: the shared seeded file
  never holds a tenant's evidence), with their failures as above.

:func:`reverie.cli.explain_view.render_explanation` prints it with rich; the JSON is complete.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reverie.audit.log import AuditEntry
from reverie.models import Event, Motif
from reverie.rulebook.rules import EventRef, HistoryEntry, Rule
from reverie.store.base import GraphStore

if TYPE_CHECKING:
    from reverie.workspace import Workspace

__all__ = ["Explanation", "Line", "Occurrence", "explain"]

MAX_FAILURES = 10
MAX_TEXT = 2000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


LineRole = Literal["call", "failure", "next_action", "next_result"]


class Line(_Model):
    """One transcript event as stored: where it is and what it says."""

    role: LineRole
    event_id: str
    file: str
    line: int
    kind: str
    trust: str
    tool: str | None = None
    text: str = ""
    input: Any = None
    timestamp: datetime | None = None


class Occurrence(_Model):
    """One failure of the motif in one session: the failed call, the failure, what came next."""

    session_id: str
    native_session_id: str | None = None
    agent: str | None = None
    lines: list[Line] = Field(default_factory=list)


class Explanation(_Model):
    """Everything :func:`explain` found about one rule."""

    tenant: str
    rule: dict[str, Any]
    motif: Motif | None = None
    motif_stored: bool = False
    occurrences: list[Occurrence] = Field(default_factory=list)
    sessions: list[dict[str, Any]] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)
    audit: list[AuditEntry] = Field(default_factory=list)
    merged: list[Motif] = Field(
        default_factory=list,
        description="Seeded rules: this tenant's motifs merged into the rule (from the audit log).",
    )


def _text(event: Event) -> str:
    text = event.text or ""
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"… [{len(text)} chars]"


def _line(role: LineRole, event: Event) -> Line:
    return Line(
        role=role,
        event_id=event.id,
        file=event.source.file,
        line=event.source.line,
        kind=event.kind,
        trust=event.trust,
        tool=event.tool,
        text=_text(event),
        input=event.tool_input if event.kind == "tool_call" else None,
        timestamp=event.timestamp,
    )


def _occurrence(events: list[Event], failure_id: str) -> list[Line]:
    """The failed call, the failure and the next call with its result, in session order."""
    index = {e.id: i for i, e in enumerate(events)}
    i = index.get(failure_id)
    if i is None:
        return []
    failure = events[i]
    lines = []
    if failure.answers_id and failure.answers_id in index:
        lines.append(_line("call", events[index[failure.answers_id]]))
    lines.append(_line("failure", failure))
    nxt = next((e for e in events[i + 1 :] if e.kind == "tool_call"), None)
    if nxt is not None:
        lines.append(_line("next_action", nxt))
        result = next((e for e in events[index[nxt.id] + 1 :] if e.answers_id == nxt.id), None)
        if result is not None:
            lines.append(_line("next_result", result))
    return lines


def _failure_refs(rule: Rule, store: GraphStore, tenant: str) -> list[EventRef]:
    refs = list(rule.evidence.events)
    if rule.evidence.signature_ids:
        for ex in store.failure_examples(tenant, rule.evidence.signature_ids, limit=MAX_FAILURES):
            refs.append(
                EventRef(event_id=ex.event_id, session_id=ex.session_id, file=ex.file, line=ex.line)
            )
    unique: dict[str, EventRef] = {}
    for ref in refs:
        unique.setdefault(ref.event_id, ref)
    return list(unique.values())[:MAX_FAILURES]


def _motif(rule: Rule, store: GraphStore, tenant: str) -> tuple[Motif | None, bool]:
    ev = rule.evidence
    if ev.motif_id:
        for motif in store.motifs(tenant):
            if motif.id == ev.motif_id or set(motif.signature_ids) & set(ev.signature_ids):
                return motif, True
    return None, False


def _merged(rule: Rule, store: GraphStore, tenant: str, entries: list[AuditEntry]) -> list[Motif]:
    """The tenant's stored motifs the dream merged into seeded ``rule``, in log order."""
    wanted = [e.motif_id for e in entries if e.action == "merge_into_seeded" and e.motif_id]
    if not rule.seeded or not wanted:
        return []
    stored = {m.id: m for m in store.motifs(tenant)}
    return [stored[mid] for mid in dict.fromkeys(wanted) if mid in stored]


def _merged_refs(motifs: list[Motif], store: GraphStore, tenant: str) -> list[EventRef]:
    refs = [
        EventRef(event_id=x["event_id"], session_id=x["session_id"], file=x["file"], line=x["line"])
        for m in motifs
        for x in m.examples
    ]
    sigs = [s for m in motifs for s in m.signature_ids]
    refs += [
        EventRef(event_id=ex.event_id, session_id=ex.session_id, file=ex.file, line=ex.line)
        for ex in store.failure_examples(tenant, sigs, limit=MAX_FAILURES)
    ]
    unique: dict[str, EventRef] = {}
    for ref in refs:
        unique.setdefault(ref.event_id, ref)
    return list(unique.values())[:MAX_FAILURES]


def explain(workspace: Workspace, tenant: str, rule: Rule) -> Explanation:
    """Gather the explanation of ``rule``: the workspace's store and audit log, ``tenant`` only."""
    store = workspace.store
    motif, stored = _motif(rule, store, tenant)
    entries = list(workspace.audit.entries(tenant=tenant, rule_id=rule.id))
    merged = _merged(rule, store, tenant, entries)
    refs = _failure_refs(rule, store, tenant) + _merged_refs(merged, store, tenant)
    by_session: dict[str, list[EventRef]] = defaultdict(list)
    for ref in refs:
        by_session[ref.session_id].append(ref)
    wanted = refs or rule.evidence.sessions or merged
    sessions = {s.id: s for s in store.sessions(tenant)} if wanted else {}
    occurrences = []
    for session_id in sorted(by_session):
        events = list(store.events(tenant, session_id=session_id))
        session = sessions.get(session_id)
        for ref in sorted(by_session[session_id], key=lambda r: (r.file, r.line)):
            occurrences.append(
                Occurrence(
                    session_id=session_id,
                    native_session_id=session.native_id if session else None,
                    agent=session.agent if session else None,
                    lines=_occurrence(events, ref.event_id),
                )
            )
    merged_sessions = [sid for m in merged for sid in m.sessions]
    session_rows = [
        {
            "id": sid,
            "native_id": s.native_id if s else None,
            "agent": s.agent if s else None,
            "file": s.source_file if s else None,
            "in_store": s is not None,
        }
        for sid in dict.fromkeys([*rule.evidence.sessions, *merged_sessions])
        for s in [sessions.get(sid)]
    ]
    return Explanation(
        tenant=tenant,
        rule=rule.model_dump(mode="json"),
        motif=motif,
        motif_stored=stored,
        occurrences=occurrences,
        sessions=session_rows,
        agents=rule.evidence.agents,
        history=rule.history,
        audit=entries,
        merged=merged,
    )
