"""Dream reports: what each cycle of ``reverie watch`` changed, kept in ``.reverie/dreams/``.

After every cycle the watch writes ``<UTC time>.json`` (a :class:`DreamRecord`:
the cycle's decisions as the dream made them, the rules each kind of change
touched, counts, what triggered it and the exports it wrote) and a short
Markdown summary beside it (``<UTC time>.md``). The name is the cycle's start
in basic ISO form (``20261201T030000Z``), with ``-2``, ``-3``... if a report of
that second exists. ``reverie dreams list|show`` reads them back.

The JSON file appears whole or not at all (written aside, then linked in), so
a reader never sees half a report. A report's id is its file name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reverie.errors import InputError
from reverie.models import CurationDecision
from reverie.rulebook.dream import DreamReport

__all__ = [
    "CHANGES",
    "DreamRecord",
    "ExportNote",
    "list_reports",
    "load_report",
    "record_of",
    "summary_markdown",
    "write_report",
]

CHANGES: dict[str, tuple[str, ...]] = {
    "proposed": ("propose",),
    "reinforced": ("reinforce",),
    "retired": ("propose_retirement",),
    "merged": ("propose_merge", "merge_into_seeded"),
    "quarantined": ("quarantine",),
}
"""The headline kinds of change, and the dream's decision actions each one gathers.

The dream never retires a rule itself: ``retired`` lists its retirement
proposals (a reviewer decides). Other actions (``auto_approve``,
``promote_fleet``, ``flag_conflict``...) are in ``counts`` and ``decisions``.
"""


class ExportNote(BaseModel):
    """One file ``--export`` rewrote (or found unchanged) after the cycle."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    path: str
    action: str


class DreamRecord(BaseModel):
    """One dream report: a cycle of ``reverie watch`` (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    id: str = ""
    tenant: str
    at: datetime
    finished: datetime
    files: int = Field(description="Files ingested in the tick that led to the cycle.")
    new_events: int = Field(description="New events those files added.")
    motifs: int
    rules: int
    counts: dict[str, int] = Field(default_factory=dict)
    changes: dict[str, list[str]] = Field(default_factory=dict)
    decisions: list[CurationDecision] = Field(default_factory=list)
    exports: list[ExportNote] = Field(default_factory=list)


def _rule_ids(decisions: Sequence[CurationDecision], actions: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(d.rule_id for d in decisions if d.action in actions and d.rule_id))


def record_of(
    report: DreamReport, *, finished: datetime, files: int, new_events: int,
    exports: Sequence[ExportNote] = (),
) -> DreamRecord:
    """The dream report of ``report`` (its id is given when it is written)."""
    return DreamRecord(
        tenant=report.tenant,
        at=report.at,
        finished=finished,
        files=files,
        new_events=new_events,
        motifs=report.motifs,
        rules=report.rules,
        counts=report.counts(),
        changes={kind: _rule_ids(report.decisions, actions) for kind, actions in CHANGES.items()},
        decisions=list(report.decisions),
        exports=list(exports),
    )


def summary_markdown(record: DreamRecord) -> str:
    """The short Markdown summary written beside the JSON report."""
    lines = [
        f"# Dream {record.id} (tenant {record.tenant})",
        "",
        f"- cycle: {record.at:%Y-%m-%d %H:%M:%S} to {record.finished:%H:%M:%S} UTC",
        f"- trigger: {record.files} files ingested, {record.new_events} new events",
        f"- mined: {record.motifs} motifs; rule book: {record.rules} rules",
        "",
        "| change | count | rules |",
        "|---|---:|---|",
    ]
    for kind, ids in record.changes.items():
        lines.append(f"| {kind} | {len(ids)} | {', '.join(ids) or '-'} |")
    other = {a: n for a, n in record.counts.items()
             if not any(a in actions for actions in CHANGES.values())}
    if other:
        lines += ["", "Other decisions: " + ", ".join(f"{a} {n}" for a, n in other.items())]
    if record.exports:
        lines += ["", "Exports: " + ", ".join(f"{e.path} ({e.action})" for e in record.exports)]
    lines += ["", "## Decisions", ""]
    lines += [f"- {d.rule_id or '-'} {d.action}: {d.reason}" for d in record.decisions]
    if not record.decisions:
        lines.append("- none: the rule book already matched the evidence")
    return "\n".join(lines) + "\n"


def _claim(folder: Path, stem: str, data: bytes) -> Path:
    """Write ``data`` to a new ``folder/stem[-n].json`` that no other report holds."""
    tmp = folder / f".{stem}.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    try:
        n = 1
        while True:
            path = folder / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json")
            try:
                os.link(tmp, path)
                return path
            except FileExistsError:
                n += 1
    finally:
        tmp.unlink()


def write_report(folder: Path, record: DreamRecord) -> DreamRecord:
    """Write ``record`` and its summary into ``folder``; return it with its id."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{record.at:%Y%m%dT%H%M%SZ}"
    draft = record.model_copy(update={"id": stem})
    path = _claim(folder, stem, orjson.dumps(draft.model_dump(mode="json"),
                                             option=orjson.OPT_INDENT_2))
    draft = draft.model_copy(update={"id": path.stem})  # the name taken is the id
    md = path.with_suffix(".md")
    tmp = md.with_name(f".{md.name}.tmp")
    tmp.write_text(summary_markdown(draft), encoding="utf-8")
    os.replace(tmp, md)
    return draft


def _read(path: Path) -> DreamRecord:
    try:
        record = DreamRecord.model_validate(orjson.loads(path.read_bytes()))
    except (OSError, orjson.JSONDecodeError, ValidationError) as exc:
        raise InputError(f"not a dream report ({exc.__class__.__name__}); move it out of "
                         "the folder or delete it", path) from exc
    return record.model_copy(update={"id": path.stem})  # a second report of a second: -2


def list_reports(folder: Path, tenant: str | None = None) -> list[DreamRecord]:
    """The reports in ``folder`` (of ``tenant`` only, if given), oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    records = [_read(p) for p in folder.glob("*.json") if not p.name.startswith(".")]
    return sorted((r for r in records if tenant is None or r.tenant == tenant),
                  key=lambda r: (r.at, r.id))


def load_report(folder: Path, ref: str, tenant: str | None = None) -> DreamRecord:
    """One report by id (its file name without ``.json``), or ``latest``."""
    if ref == "latest":
        records = list_reports(folder, tenant)
        if not records:
            raise InputError("no dream report yet (`reverie watch` writes one per cycle)", folder)
        return records[-1]
    path = Path(folder) / f"{ref}.json"
    if "/" in ref or "\\" in ref or ref.startswith(".") or not path.is_file():
        raise InputError(f"no dream report {ref!r}; `reverie dreams list` shows their ids",
                         folder)
    record = _read(path)
    if tenant is not None and record.tenant != tenant:
        raise InputError(f"no dream report {ref!r} for tenant {tenant!r}", folder)
    return record
