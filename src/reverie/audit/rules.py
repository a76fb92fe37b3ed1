"""Rule files checked against the audit log: each rule's state must be a logged one.

Every command that writes a rule file logs a decision recording the rule's
resulting :class:`~reverie.audit.log.RuleState` (status, version and a digest of
the directive). :func:`unexplained_rules` reads the log and names every rule
whose file says something no logged decision explains:

- a rule with a logged state must match the **last** logged state exactly:
  an approval typed into the file, a directive changed by hand, or a version
  that does not match is reported;
- a rule the log never mentions (its file was added by hand, or the log was
  deleted while the rule files stayed) is reported, unless it is one of the
  seeded rules Reverie ships, unchanged (status, version and directive as
  shipped);
- a rule only **legacy** entries mention (written before states were logged)
  must have the status its last such entry implies; its version and
  directive cannot be checked.

``reverie audit verify`` reports these rules, and rendering leaves them out
(:func:`reverie.render.records.render_workspace`) until a logged decision
explains them: ``reverie review`` on the rule (e.g. ``reverie review edit ID
--directive TEXT --reason WHY``), or the file restored to its logged state.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from reverie.audit.log import AuditLog, RuleState
from reverie.errors import InputError
from reverie.resources import data_dir
from reverie.rulebook.rules import Rule, load_rule

__all__ = ["unexplained_rules"]

IMPLIED_STATUS = {
    "propose": "proposed",
    "quarantine": "quarantined",
    "auto_approve": "approved",
    "review.approve": "approved",
    "review.reject": "rejected",
    "review.retire": "retired",
}
"""The status a legacy entry (one without a recorded state) left its rule in."""


@lru_cache(maxsize=64)
def _shipped(rule_id: str) -> RuleState | None:
    """The state of the seeded rule ``rule_id`` as Reverie ships it, or None."""
    try:
        path = data_dir("rules") / f"{rule_id}.md"
        rule = load_rule(path) if path.is_file() else None
    except (FileNotFoundError, InputError):
        return None
    return RuleState.of(rule) if rule is not None and rule.seeded else None


def _legacy_status(action: str, details: dict[str, object]) -> str | None:
    status = details.get("status")
    if action.startswith("review.") and isinstance(status, list) and len(status) == 2:
        return str(status[1])
    return IMPLIED_STATUS.get(action)


def _mismatch(rule: Rule, state: RuleState, source: str) -> str | None:
    """What differs between ``rule`` and ``state``; ``source`` is who left it ("... left")."""
    now = RuleState.of(rule)
    if now.status != state.status:
        return f"its status is {now.status}, but {source} it {state.status}"
    if now.directive != state.directive:
        return f"its directive is not the one {source}"
    if now.version != state.version:
        return f"its version is {now.version}, but {source} version {state.version}"
    return None


def unexplained_rules(state_dir: Path, rules: Iterable[Rule]) -> dict[str, str]:
    """Rule id -> why no logged decision explains the rule's file (module docstring)."""
    states: dict[str, tuple[int, RuleState]] = {}
    legacy: dict[str, tuple[int, str]] = {}
    mentioned: set[str] = set()
    for entry in AuditLog(state_dir).entries():
        if not entry.rule_id:
            continue
        mentioned.add(entry.rule_id)
        if entry.rule_state is not None:
            states[entry.rule_id] = (entry.seq, entry.rule_state)
            continue
        status = _legacy_status(entry.action, entry.details)
        if status is not None:
            legacy[entry.rule_id] = (entry.seq, status)
    found: dict[str, str] = {}
    for rule in rules:
        why, shipped = None, _shipped(rule.id) if rule.seeded else None
        if rule.id in states:
            seq, state = states[rule.id]
            why = _mismatch(rule, state, f"the last logged decision about it (seq {seq}) left")
        elif rule.id in legacy:
            seq, status = legacy[rule.id]
            if rule.status != status:
                why = (
                    f"its status is {rule.status}, but the last logged decision about it "
                    f"(seq {seq}) left it {status}"
                )
        elif shipped is not None:
            why = _mismatch(rule, shipped, "Reverie ships")
        elif rule.id not in mentioned:
            why = "no logged decision made it: it is not in the audit log"
        if why:
            found[rule.id] = f"{why}; no logged decision explains it"
    return found
