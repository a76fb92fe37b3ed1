"""SWE-bench style results beside a run: was an instance resolved?

The evaluation harnesses write either a per-instance ``report.json`` (flat
``{"resolved": true, ...}`` or keyed ``{"<instance_id>": {"resolved": ...}}``,
as SWE-bench and mini-swe-agent's ``logs/<id>/report.json``) or a run-level
``results.json`` / ``report.json`` with lists of instance ids (Multi-SWE-bench's
``results/results.json``: ``resolved``, ``unresolved_ids``, ``empty_patch_ids``,
``error_ids``, ``incomplete_ids``, ...).

What a list says about an instance:

=========================================  =========================================
``resolved`` / ``resolved_ids``            success
``unresolved_ids``, ``unresolved``         failure
``empty_patch_ids``                        failure (the run produced no patch)
``error_ids``                              failure (the evaluation errored)
``incomplete_ids``                         unknown: the instance was not evaluated
``completed_ids``, ``submitted_ids``, ...  nothing on their own
=========================================  =========================================

:func:`find_verdict` looks, relative to a trajectory file, in
``../../logs/<instance_id>/report.json`` (mini-swe-agent's layout), then in
``report.json`` and ``results.json`` next to the trajectory, in its parent
folder and in the run folder's ``results/`` (Multi-SWE-bench's layout). A
report that is missing, unreadable or silent about the instance gives no
answer. :func:`read_report` tells whether a file is such a report at all: it
is an *outcome file*, not a transcript.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reverie.adapters._reading import decode, read_neighbour

__all__ = [
    "Verdict",
    "candidate_reports",
    "find_verdict",
    "read_report",
    "verdict_from_report",
]

_SUCCESS_LISTS = ("resolved_ids", "resolved")
_FAILURE_LISTS = {
    "unresolved_ids": "unresolved",
    "unresolved": "unresolved",
    "empty_patch_ids": "empty patch",
    "error_ids": "evaluation error",
}
_UNKNOWN_LISTS = {"incomplete_ids": "not evaluated (incomplete)"}
_REPORT_NAMES = ("report.json", "results.json")


@dataclass(frozen=True)
class Verdict:
    """What a report says about one instance; ``success`` is None when it was not evaluated."""

    success: bool | None
    detail: str
    report: str


def candidate_reports(traj: Path, instance_id: str) -> list[Path]:
    """The report files that may hold ``instance_id``'s result, most specific first."""
    folder = traj.parent
    return [
        folder.parent.parent / "logs" / instance_id / "report.json",
        folder / "report.json",
        folder / "results.json",
        folder.parent / "report.json",
        folder.parent / "results.json",
        folder.parent / "results" / "results.json",
    ]


def _decided(entry: Any) -> tuple[bool, str] | None:
    if isinstance(entry, dict) and isinstance(entry.get("resolved"), bool):
        return entry["resolved"], "resolved" if entry["resolved"] else "unresolved"
    return None


def verdict_from_report(
    data: Any, instance_id: str, per_instance: bool, report: str = ""
) -> Verdict | None:
    """Read ``instance_id``'s result from a report's JSON, or None when it is silent.

    >>> verdict_from_report({"resolved": ["a"], "unresolved_ids": ["b"]}, "b", False).success
    False
    >>> verdict_from_report({"a": {"resolved": True}}, "a", False).detail
    'resolved'
    >>> verdict_from_report({"resolved": [], "incomplete_ids": ["c"]}, "c", False).success is None
    True
    """
    if not isinstance(data, dict):
        return None
    decided = _decided(data.get(instance_id))
    if decided is None and per_instance:
        decided = _decided(data)
    if decided is not None:
        return Verdict(decided[0], decided[1], report)
    for key in _SUCCESS_LISTS:
        if isinstance(data.get(key), list) and instance_id in data[key]:
            return Verdict(True, "resolved", report)
    for key, detail in _FAILURE_LISTS.items():
        if isinstance(data.get(key), list) and instance_id in data[key]:
            return Verdict(False, detail, report)
    for key, detail in _UNKNOWN_LISTS.items():
        if isinstance(data.get(key), list) and instance_id in data[key]:
            return Verdict(None, detail, report)
    return None


def _load(report: Path) -> Any:
    raw = read_neighbour(report)
    try:
        return decode(raw) if raw is not None else None
    except ValueError:
        return None


def find_verdict(traj: Path, instance_id: str) -> Verdict | None:
    """The verdict of the first report beside ``traj`` that speaks about the instance."""
    for report in candidate_reports(traj, instance_id):
        data = _load(report)
        if data is None:
            continue
        per_instance = report.parent.name == instance_id or report.parent == traj.parent
        verdict = verdict_from_report(data, instance_id, per_instance, str(report))
        if verdict is not None:
            return verdict
    return None


def read_report(path: Path) -> dict[str, Verdict] | None:
    """Instance id -> verdict for every instance a report names; None if it is not a report.

    A run-level report has lists of instance ids under the keys above; a
    per-instance report is keyed by instance id, or flat (``{"resolved": true}``)
    in a folder named after the instance.
    """
    if path.name not in _REPORT_NAMES:
        return None
    data = _load(path)
    if not isinstance(data, dict):
        return None
    ids: set[str] = set()
    lists = (*_SUCCESS_LISTS, *_FAILURE_LISTS, *_UNKNOWN_LISTS)
    for key in lists:
        if isinstance(data.get(key), list):
            ids.update(i for i in data[key] if isinstance(i, str))
    ids.update(k for k, v in data.items() if _decided(v) is not None)
    if not ids and _decided(data) is not None:
        ids.add(path.parent.name)
    if not ids and not any(isinstance(data.get(k), list) for k in lists):
        return None
    verdicts = {}
    for instance in sorted(ids):
        verdict = verdict_from_report(data, instance, instance == path.parent.name, str(path))
        if verdict is not None:
            verdicts[instance] = verdict
    return verdicts
