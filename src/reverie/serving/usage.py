"""Recording how agents use the rules they were served: retrievals and feedback.

Every write here takes the workspace lock (:meth:`Workspace.locked`), so it
never interleaves with a dream or a review:

- :func:`record_retrievals`: one ``retrieved`` use per rule served, per agent,
  with its time, in the store;
- :func:`record_feedback`: one ``feedback`` use in the store and one
  ``mcp.feedback`` entry in the audit log (who, when, helped or not; never the
  note's text). The note is redacted as transcript text is at ingest
  (:meth:`Redactor.from_settings`) and scanned for injected instructions
  (:func:`~reverie.redact.injection.flag_injection`); a flagged note is stored
  with its flags and never shown.

The dream reads the counts back (:mod:`reverie.rulebook.usage`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reverie.errors import InputError
from reverie.models import CurationDecision
from reverie.redact.injection import flag_injection
from reverie.redact.redactor import Redactor
from reverie.store.usage_base import RuleUse

if TYPE_CHECKING:
    from reverie.workspace import Workspace

__all__ = [
    "FEEDBACK_ACTION",
    "MAX_NOTE",
    "WITHHELD",
    "clean_note",
    "record_feedback",
    "record_retrievals",
    "usage_summary",
]

FEEDBACK_ACTION = "mcp.feedback"
MAX_NOTE = 2000
COMMAND = "reverie mcp"
WITHHELD = "[withheld: reads as injected instructions]"


def clean_note(workspace: Workspace, note: str) -> tuple[str, list[str]]:
    """The note as stored (redacted, at most :data:`MAX_NOTE` characters) and its flags."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InputError(f"a feedback note holds at most {MAX_NOTE} characters")
    if not note:
        return "", []
    redacted = Redactor.from_settings(workspace.settings).redact_text(note)
    return redacted, flag_injection(redacted)


def record_retrievals(
    workspace: Workspace, tenant: str, agent: str | None, rule_ids: Iterable[str], at: datetime
) -> int:
    """Record that ``agent`` was served ``rule_ids`` at ``at``; returns how many."""
    uses = [RuleUse(rule_id=r, agent=agent or "", kind="retrieved", at=at) for r in rule_ids]
    if not uses:
        return 0
    with workspace.locked(COMMAND):
        return workspace.store.record_rule_uses(tenant, uses)


def record_feedback(
    workspace: Workspace,
    tenant: str,
    rule_id: str,
    *,
    agent: str | None,
    helped: bool,
    note: str,
    at: datetime,
) -> RuleUse:
    """Record whether ``rule_id`` helped ``agent`` (store and audit log); returns the use."""
    text, flags = clean_note(workspace, note)
    use = RuleUse(rule_id=rule_id, agent=agent or "", kind="feedback", at=at, helped=helped,
                  note=text, flags=flags)
    decision = CurationDecision(
        action=FEEDBACK_ACTION,
        rule_id=rule_id,
        actor=f"agent {agent}" if agent else "agent (unnamed)",
        reason="the rule helped" if helped else "the rule did not help",
        at=at,
        details={"use": use.id, "helped": helped, "agent": agent or "", "note": bool(text),
                 "note_flags": flags},
    )
    with workspace.locked(COMMAND):
        workspace.audit.commit(tenant, [decision], command=COMMAND)  # a log that does not
        workspace.store.record_rule_uses(tenant, [use])  # verify refuses before anything counts
    return use


def usage_summary(
    workspace: Workspace, tenant: str, rule_id: str, notes: int = 5
) -> dict[str, Any]:
    """A rule's use over MCP, all time: totals, per agent, and the latest feedback (a flagged
    note is withheld), for ``reverie rules show``."""
    store = workspace.store
    rows = store.rule_usage(tenant, rule_ids=[rule_id])
    latest = store.rule_feedback(tenant, rule_id, limit=notes)
    return {
        "retrieved": sum(r.retrieved for r in rows),
        "helped": sum(r.helped for r in rows),
        "unhelpful": sum(r.unhelpful for r in rows),
        "last_at": max((r.last_at for r in rows if r.last_at), default=None),
        "agents": [r.model_dump(mode="json") for r in rows],
        "feedback": [
            {"at": u.at.isoformat(), "agent": u.agent, "helped": u.helped,
             "note": WITHHELD if u.flags else u.note, "flags": u.flags}
            for u in latest
        ],
    }
