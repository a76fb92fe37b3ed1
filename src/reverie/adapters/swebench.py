"""SWE-bench style results next to a trajectory: was the instance resolved?

The SWE-bench harness writes either a per-instance ``report.json`` (flat
``{"resolved": true, ...}`` or keyed ``{"<instance_id>": {"resolved": ...}}``)
or a run-level ``results.json`` / ``report.json`` with lists of instance ids
(``resolved`` / ``resolved_ids`` and others such as ``unresolved_ids``).

:func:`find_resolved` looks, relative to a trajectory file, in
``../../logs/<instance_id>/report.json`` (mini-swe-agent's layout), then in
``report.json`` and ``results.json`` next to the trajectory and in its parent
folder. A report that is missing, unreadable or silent about the instance
gives no answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

__all__ = ["candidate_reports", "find_resolved", "resolved_from_report"]


def candidate_reports(traj: Path, instance_id: str) -> list[Path]:
    """The report files that may hold ``instance_id``'s result, most specific first."""
    folder = traj.parent
    return [
        folder.parent.parent / "logs" / instance_id / "report.json",
        folder / "report.json",
        folder / "results.json",
        folder.parent / "report.json",
        folder.parent / "results.json",
    ]


def resolved_from_report(data: Any, instance_id: str, per_instance: bool) -> bool | None:
    """Read ``instance_id``'s resolved flag from a report's JSON, or None when it is silent.

    >>> resolved_from_report({"resolved": ["a"], "unresolved": ["b"]}, "b", False)
    False
    >>> resolved_from_report({"a": {"resolved": True}}, "a", False)
    True
    """
    if not isinstance(data, dict):
        return None
    entry = data.get(instance_id)
    if isinstance(entry, dict) and isinstance(entry.get("resolved"), bool):
        return entry["resolved"]
    if per_instance and isinstance(data.get("resolved"), bool):
        return data["resolved"]
    for key in ("resolved_ids", "resolved"):
        ids = data.get(key)
        if isinstance(ids, list):
            if instance_id in ids:
                return True
            others = [v for k, v in data.items() if k != key and isinstance(v, list)]
            if any(instance_id in v for v in others):
                return False
    return None


def find_resolved(traj: Path, instance_id: str) -> tuple[bool, str] | None:
    """``(resolved, report path)`` from the first report that speaks about the instance."""
    for report in candidate_reports(traj, instance_id):
        try:
            data = orjson.loads(report.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        per_instance = report.parent.name == instance_id or report.parent == traj.parent
        answer = resolved_from_report(data, instance_id, per_instance)
        if answer is not None:
            return answer, str(report)
    return None
