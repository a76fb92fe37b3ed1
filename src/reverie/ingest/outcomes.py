"""Outcome files: evaluation reports beside runs, attached to the sessions they judge.

A SWE-bench / Multi-SWE-bench report (``results/results.json`` of a run,
``logs/<instance>/report.json``, see :mod:`reverie.adapters.swebench`) is not
a transcript: it says which instances of a run were resolved. Ingest
recognises it and sets the outcome of every stored session of that run whose
instance it names. Trajectory adapters read the same report when they parse a
trajectory, so the order in which the two are ingested does not matter, and a
report that appears or changes after its runs were ingested updates them.

The run a report belongs to is its folder, or the folder above ``results/``
(Multi-SWE-bench), or above ``logs/<instance>/`` (mini-swe-agent); its
sessions are those whose transcript lies inside that folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from reverie.adapters.swebench import Verdict
from reverie.ingest.provenance import source_id
from reverie.models import Outcome, SourceRef
from reverie.store.base import GraphStore, SourceState

__all__ = ["OUTCOME_FORMAT", "attach_outcomes", "report_run_folder"]

OUTCOME_FORMAT = "outcome-report"


def report_run_folder(report: Path) -> Path:
    """The folder of the run a report judges.

    >>> report_run_folder(Path("/r/20240825_SWE-agent_x/results/results.json")).name
    '20240825_SWE-agent_x'
    >>> report_run_folder(Path("/r/mini/logs/django-1/report.json")).name
    'mini'
    """
    folder = report.parent
    if folder.name == "results":
        return folder.parent
    if folder.parent.name == "logs":
        return folder.parent.parent
    return folder


def _inside(file: str, folder: str) -> bool:
    return file.startswith(folder.rstrip("/") + "/")


def attach_outcomes(
    store: GraphStore,
    tenant: str,
    report: Path,
    verdicts: dict[str, Verdict],
    redact: Callable[[str], str] = str,
) -> int:
    """Write the report's verdicts onto the stored sessions of its run; record the file.

    ``redact`` is what ingest applied to every stored string: instance ids,
    details and paths are compared and stored in that form, as the sessions were.
    """
    folder = redact(str(report_run_folder(report.resolve())))
    absolute = redact(str(report.resolve()))
    verdicts = {
        redact(k): replace(v, detail=redact(v.detail), report=redact(v.report))
        for k, v in verdicts.items()
    }
    outcomes: dict[str, Outcome] = {}
    for session in store.sessions(tenant, native_ids=verdicts):
        instance = str(session.attrs.get("instance_id") or session.native_id)
        verdict = verdicts.get(instance)
        if verdict is None or not _inside(session.source_file, folder):
            continue
        outcomes[session.id] = Outcome(
            success=verdict.success,
            detail=verdict.detail,
            source=SourceRef(file=absolute, line=0),
        )
    stat = report.stat()
    state = SourceState(
        id=source_id(tenant, absolute),
        path=absolute,
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        format=OUTCOME_FORMAT,
    )
    return store.write_outcomes(tenant, state, outcomes)
