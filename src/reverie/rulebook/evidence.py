"""From a motif to a rule's evidence: event references, the events' stored text, trust.

Used by the dream (to build a rule's :class:`~reverie.rulebook.rules.Evidence` and
the distiller's quoted :class:`~reverie.rulebook.distill.EvidenceItem` list) and by
explain (to show the exact transcript lines). Events are read from the store
with the tenant, so nothing crosses tenants.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from reverie.models import Event, Motif
from reverie.rulebook.distill import EvidenceItem
from reverie.rulebook.rules import EventRef, Evidence
from reverie.store.base import GraphStore

__all__ = ["MAX_REFS", "event_refs", "evidence_from_motif", "evidence_items", "fetch_events"]

MAX_REFS = 6


def _ref(example: dict[str, Any]) -> EventRef | None:
    event_id = example.get("event_id") or example.get("id")
    session_id = example.get("session_id") or example.get("session")
    file, line = example.get("file"), example.get("line")
    if not (event_id and session_id and file is not None and isinstance(line, int)):
        return None
    role: Literal["failure", "correction"] = (
        "correction" if example.get("role") == "correction" else "failure"
    )
    return EventRef(event_id=event_id, session_id=session_id, file=str(file), line=line, role=role)


def event_refs(motif: Motif, limit: int = MAX_REFS) -> list[EventRef]:
    """The motif's example events as references (distinct sessions first, then in order)."""
    refs = [r for r in (_ref(e) for e in motif.examples) if r is not None]
    first: list[EventRef] = []
    sessions: set[str] = set()
    for ref in refs:
        if ref.session_id not in sessions:
            sessions.add(ref.session_id)
            first.append(ref)
    unique: dict[str, EventRef] = {}
    for ref in first + [r for r in refs if r not in first]:
        unique.setdefault(ref.event_id, ref)
    return list(unique.values())[:limit]


def evidence_from_motif(motif: Motif) -> Evidence:
    """A rule's evidence block for ``motif`` (deterministic: lists sorted, floats rounded)."""
    return Evidence(
        motif_id=motif.id,
        signature_ids=sorted(motif.signature_ids),
        sessions=sorted(motif.sessions),
        agents=sorted(motif.agents),
        support=motif.support,
        trust_support=round(motif.trust_support, 4),
        first_seen=motif.first_seen,
        last_seen=motif.last_seen,
        events=event_refs(motif),
    )


def fetch_events(store: GraphStore, tenant: str, refs: Iterable[EventRef]) -> dict[str, Event]:
    """The stored events (text as stored, i.e. redacted) for ``refs``, by event id."""
    wanted: dict[str, set[str]] = {}
    for ref in refs:
        wanted.setdefault(ref.session_id, set()).add(ref.event_id)
    found: dict[str, Event] = {}
    for session_id, ids in sorted(wanted.items()):
        for event in store.events(tenant, session_id=session_id):
            if event.id in ids:
                found[event.id] = event
    return found


def evidence_items(motif: Motif, events: dict[str, Event]) -> list[EvidenceItem]:
    """What the distiller quotes: each example's stored text with its trust class and flags."""
    items = []
    for ref in event_refs(motif):
        event = events.get(ref.event_id)
        example = next((e for e in motif.examples if e.get("event_id") == ref.event_id), {})
        text = (event.text if event else None) or example.get("text") or ""
        if not text:
            continue
        items.append(
            EvidenceItem(
                role=ref.role,
                trust=event.trust if event else example.get("trust", "tool"),
                text=text,
                file=ref.file,
                line=ref.line,
                event_id=ref.event_id,
                flags=list(event.flags) if event else list(example.get("flags", [])),
            )
        )
    return items
