"""Review: a person's decision about a rule (approve, reject, edit, retire), with a reason.

Nothing reaches an agent's prompt without an ``approved`` status, and that
status comes from here (or from the dream's explicit auto-approve policy).
Every decision names its reviewer, is appended to the rule's ``history`` and
to the audit log, and bumps the rule's ``version``. Editing changes only the
words (title, directive, when, because): the evidence stays, and the history
records the old and the new text. A rule flagged ``needs-directive`` (no fix
recurred) cannot be approved until an edit gives it a directive; that edit
resolves the flag.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import ValidationError

from reverie.audit.log import AuditLog
from reverie.errors import ConfigError, InputError
from reverie.models import CurationDecision
from reverie.rulebook.rules import NEEDS_DIRECTIVE, HistoryEntry, Rule, find_rule
from reverie.rulebook.usage import USAGE_FLAGS
from reverie.settings import Settings

if TYPE_CHECKING:
    from reverie.workspace import Workspace

__all__ = ["EDITABLE", "Decision", "resolve_reviewer", "review"]

Decision = Literal["approve", "reject", "edit", "retire"]
EDITABLE = ("title", "directive", "when", "because")
STATUS_AFTER = {"approve": "approved", "reject": "rejected", "retire": "retired"}
ALLOWED_FROM = {
    "approve": ("proposed", "quarantined", "rejected", "retired"),
    "reject": ("proposed", "quarantined", "approved"),
    "retire": ("proposed", "approved", "quarantined"),
    "edit": ("proposed", "approved", "quarantined", "rejected", "retired"),
}


def _git_user(cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "config", "user.name"], cwd=cwd, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def resolve_reviewer(option: str | None, settings: Settings) -> str:
    """``--reviewer``, else ``[review] reviewer``, else ``git config user.name``, else an error."""
    for candidate in (option, settings.review.reviewer, _git_user(settings.root)):
        if candidate and candidate.strip():
            return candidate.strip()
    raise ConfigError(
        'who is reviewing? pass --reviewer NAME, or set `reviewer = "NAME"` under [review] '
        "in reverie.toml, or set `git config user.name`"
    )


def review(
    workspace: Workspace,
    tenant: str,
    rule_id: str,
    decision: Decision,
    *,
    reviewer: str,
    reason: str,
    now: datetime,
    edits: dict[str, str | None] | None = None,
) -> Rule:
    """Apply one review decision to rule ``rule_id`` of the workspace's rule book; log it.

    ``edits`` (for ``edit``) maps fields to new text; ``None`` values are left as they are.

    The rule is read, changed and written (with its entry in the workspace's
    audit log, as one journaled unit) under the workspace lock
    (:meth:`~reverie.workspace.Workspace.locked`), so a concurrent dream or
    review cannot overwrite the decision.
    """
    if not reason.strip():
        raise InputError("a review needs a reason (--reason TEXT)")
    with workspace.locked(f"reverie review {decision}"):
        return _decide(workspace.rules_dir, workspace.audit, tenant, rule_id, decision,
                       reviewer, reason, now, edits)


def _decide(
    rules_dir: Path,
    audit: AuditLog,
    tenant: str,
    rule_id: str,
    decision: Decision,
    reviewer: str,
    reason: str,
    now: datetime,
    edits: dict[str, str | None] | None,
) -> Rule:
    """The decision itself, with the lock held: read the rule, check, change, commit."""
    rule = find_rule(rules_dir, rule_id, tenant)
    if rule.status not in ALLOWED_FROM[decision]:
        raise InputError(f"cannot {decision} {rule_id}: it is {rule.status}")
    details: dict[str, object] = {"status": [rule.status, rule.status]}
    if decision == "edit":
        changes = {k: v for k, v in (edits or {}).items() if v is not None and k in EDITABLE}
        changes = {k: v for k, v in changes.items() if getattr(rule, k) != v}
        if not changes:
            raise InputError(
                f"nothing to edit in {rule_id}: give --directive/--title/--when/--because"
            )
        details["changes"] = {k: {"old": getattr(rule, k), "new": v} for k, v in changes.items()}
        data = rule.model_dump() | changes | {"notes": rule.notes}
        if changes.get("directive", "").strip() and rule.needs_directive:
            data["flags"] = [f for f in data["flags"] if f["kind"] != NEEDS_DIRECTIVE]
            details["resolved"] = NEEDS_DIRECTIVE
        try:
            rule = Rule.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from exc
    else:
        if decision == "approve" and rule.needs_directive:
            raise InputError(
                f"cannot approve {rule_id}: it has no directive yet (no fix recurred); write "
                f"one first: reverie review edit {rule_id} --directive TEXT --reason TEXT"
            )
        details["status"] = [rule.status, STATUS_AFTER[decision]]
        rule.status = STATUS_AFTER[decision]  # type: ignore[assignment]
        if decision in ("retire", "reject"):
            rule.flags = [f for f in rule.flags if f.kind != "retire"]
        rule.flags = [f for f in rule.flags if f.kind not in USAGE_FLAGS]  # decided on
    action = f"review.{decision}"
    rule.history.append(
        HistoryEntry(action=action, actor=reviewer, at=now, reason=reason, details=details)
    )
    rule.version += 1
    rule.updated = now
    logged = CurationDecision(
        action=action,
        rule_id=rule.id,
        motif_id=rule.evidence.motif_id,
        actor=reviewer,
        reason=reason,
        at=now,
        details=details,
    )
    audit.commit(tenant, [logged], [rule], rules_dir, command=f"reverie review {decision}")
    return rule
