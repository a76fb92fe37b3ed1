"""Ingest: transcript files -> adapters -> redaction -> provenance -> the store.

One transaction per file: a crash or Ctrl-C mid-file leaves the store as it
was before that file, and the next run ingests it again. Files whose size and
modification time are unchanged since their last ingest are skipped; a file
that changed is parsed again and only its new events are added (ids are
content hashes, so old events are recognised).

A bad file never stops the run: a file that cannot be opened (permissions, a
symlink loop or a dangling symlink) is an error in the summary; one that is
not a regular file (a FIFO, a socket, a device) is never opened and is
reported by what it is; a file over a limit of
:mod:`reverie.adapters._reading` is reported with the limit; and a file whose
ingest raised anything unexpected is rolled back and reported as ``failed``.
Agent names read from transcripts are rewritten into the allowed form
(:func:`reverie.names.safe_agent`) and texts cut at the field limit.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from reverie.adapters._reading import FIELD_LIMIT, cap_text, file_kind, open_regular
from reverie.adapters.base import Adapter, AdapterOptions
from reverie.adapters.registry import detect, get_adapter
from reverie.adapters.swebench import Verdict, read_report
from reverie.errors import ConfigError, InputError, ReverieError, UnknownFormatError
from reverie.ingest.outcomes import OUTCOME_FORMAT, attach_outcomes
from reverie.ingest.provenance import link_session, source_id
from reverie.models import Malformed, ParsedSession
from reverie.names import check_agent, check_tenant, safe_agent
from reverie.redact.injection import flag_injection, flag_session
from reverie.redact.redactor import Redactor
from reverie.settings import Settings
from reverie.store.base import GraphStore, SourceState

if TYPE_CHECKING:
    from reverie.workspace import Workspace

__all__ = [
    "FileResult",
    "IngestSummary",
    "default_workers",
    "discover",
    "ingest_file",
    "ingest_paths",
]

TRANSCRIPT_SUFFIXES = {".jsonl", ".json", ".traj", ".ndjson"}
_PARALLEL_FROM = 16  # files; below this, starting worker processes costs more than it saves


class FileResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str
    format: str | None = None
    sessions: int = 0
    events: int = 0
    new_events: int = 0
    outcomes: int = 0
    unchanged: bool = False
    malformed: list[Malformed] = Field(default_factory=list)
    collisions: list[dict[str, str]] = Field(default_factory=list)
    error: str | None = None
    # An error even inside a folder, never skipped: the file could not be opened, or
    # ingesting it failed (a worker died, an unexpected exception; nothing was written).
    failed: bool = False


class IngestSummary(BaseModel):
    """What ``reverie ingest`` reports (``--json`` prints exactly this)."""

    model_config = ConfigDict(extra="forbid")

    files: int = 0
    sessions: int = 0
    events: int = 0
    new_events: int = 0
    outcomes: int = 0
    unchanged_files: int = 0
    formats: dict[str, int] = Field(default_factory=dict)
    malformed: list[Malformed] = Field(default_factory=list)
    collisions: list[dict[str, str]] = Field(
        default_factory=list,
        description=(
            "Sessions whose run-unique native id another file already holds with different "
            "content: kept as a session of their own (never merged), and listed here."
        ),
    )
    skipped: list[dict[str, str]] = Field(default_factory=list)
    errors: list[dict[str, str]] = Field(default_factory=list)

    def add(self, result: FileResult) -> None:
        self.files += 1
        self.sessions += result.sessions
        self.events += result.events
        self.new_events += result.new_events
        self.outcomes += result.outcomes
        self.unchanged_files += int(result.unchanged)
        if result.format:
            self.formats[result.format] = self.formats.get(result.format, 0) + 1
        self.malformed.extend(result.malformed)
        self.collisions.extend(result.collisions)


def discover(paths: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """Files to ingest, with whether the user named them (True) or a folder held them."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if candidate.suffix.lower() in TRANSCRIPT_SUFFIXES:
                        yield candidate, False
        elif path.exists() or os.path.lexists(path):
            yield path, True  # a symlink loop or a dangling symlink: reported as that file's error
        else:
            raise InputError("no such file or folder", path)


class _Prepared:
    """Per-run preparation of parsed sessions: redaction, injection flags, ids."""

    def __init__(self, settings: Settings, tenant: str):
        self.tenant = tenant
        self.redactor = _redactor(settings)

    def stored_path(self, path: Path) -> str:
        """The file's absolute path as the store keeps it: redacted like every stored string."""
        absolute = str(path.resolve())
        return absolute if self.redactor is None else self.redactor.redact_text(absolute)

    def __call__(
        self, items: Iterator[ParsedSession | Malformed], sink: list[Malformed]
    ) -> Iterator[ParsedSession]:
        redactor = self.redactor
        for item in items:
            if isinstance(item, Malformed):  # its reason may quote the line: redacted too
                sink.append(item if redactor is None else redactor.redact_record(item))
                continue
            if redactor is not None:  # first: a cut text or rewritten agent may hide a secret
                redactor.redact_session(item)
            item = _within_limits(item)
            flag_session(item)
            yield link_session(self.tenant, item)


def _within_limits(item: ParsedSession) -> ParsedSession:
    """The agent name in the allowed form; texts cut at the field limit (in place).

    An agent name that reads as an instruction (``flag_injection``) is not
    rewritten but replaced by ``agent-<hash>`` of it: a name is printed and
    rendered into prompts, so no part of an injected instruction survives in it.
    The flags are kept in ``attrs["reverie:agent_name_flags"]`` for a reviewer.
    """
    session = item.session
    flags = flag_injection(session.agent)
    if flags:
        session.attrs["reverie:agent_name_flags"] = flags
        session.agent = (
            "agent-"
            + hashlib.blake2b(session.agent.encode("utf-8", "replace"), digest_size=4).hexdigest()
        )
    session.agent = safe_agent(session.agent)
    if session.task is not None and len(session.task) > FIELD_LIMIT:
        session.task = cap_text(session.task)
    for event in item.events:
        if event.text is not None and len(event.text) > FIELD_LIMIT:
            event.text = cap_text(event.text)
    return item


def _redactor(settings: Settings) -> Redactor | None:
    if not settings.redact.enabled:
        return None
    return Redactor.from_settings(settings)


def _unchanged(previous: SourceState | None, stat: os.stat_result) -> bool:
    """Whether a file has the size and modification time recorded at its last ingest."""
    return previous is not None and (previous.size, previous.mtime_ns) == (
        stat.st_size,
        stat.st_mtime_ns,
    )


def ingest_file(
    store: GraphStore,
    prepare: _Prepared,
    path: Path,
    adapter: Adapter,
    options: AdapterOptions,
    force: bool = False,
    write_lock: AbstractContextManager[object] | None = None,
    *,
    previous: SourceState | None,
) -> FileResult:
    """Ingest one file in one store transaction.

    With ``write_lock`` (parallel ingest) the file is parsed first and written
    while holding the lock, so writers take turns instead of polling the
    store's lock; without it, parsing streams into the open transaction.
    ``previous`` is what the store holds of the file (None: never ingested).
    """
    absolute = prepare.stored_path(path)
    stat = path.stat()
    result = FileResult(file=str(path), format=adapter.name)
    if not force and _unchanged(previous, stat):
        result.unchanged = True
        return result
    state = SourceState(
        id=source_id(prepare.tenant, absolute),
        path=absolute,
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        format=adapter.name,
        events=previous.events if previous is not None else 0,
    )
    sessions = prepare(adapter.parse(path, options), result.malformed)
    try:
        if write_lock is None:
            written = store.write_file(prepare.tenant, state, sessions)
        else:
            parsed = list(sessions)
            with write_lock:
                written = store.write_file(prepare.tenant, state, parsed)
    except InputError as exc:
        if not result.malformed:
            raise
        first = result.malformed[0]  # the notes go with the failed file: say what the first was
        raise InputError(f"{exc.reason} (line {first.line}: {first.reason})", path) from exc
    result.sessions, result.events = written.sessions, written.events
    result.new_events, result.outcomes = written.new_events, written.outcomes
    result.collisions = written.collisions
    return result


def _ingest_one(
    store: GraphStore,
    prepare: _Prepared,
    path: Path,
    fixed: Adapter | None,
    options: AdapterOptions,
    force: bool,
    write_lock: AbstractContextManager[object] | None = None,
) -> FileResult:
    """One file, with its input errors turned into a result (never raised).

    Only a :class:`~reverie.errors.StoreError` (or another non-input
    :class:`~reverie.errors.ReverieError`) is raised: the store itself failed.
    Anything else a file provokes is that file's ``failed`` result; its
    transaction was rolled back.
    """
    refused = _refusal(path)
    if refused is not None:
        return refused
    try:
        return _read_and_write(store, prepare, path, fixed, options, force, write_lock)
    except ReverieError:
        raise
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"
        if len(detail) > 300:
            detail = detail[:300] + "..."
        reason = f"not ingested: unexpected {detail} (nothing of it was written; please report it)"
        return FileResult(file=str(path), error=reason, failed=True)


def _refusal(path: Path) -> FileResult | None:
    """A result for a file that is not read at all, or None to read it.

    Not a regular file (a FIFO would block forever): never opened, and inside
    a folder only skipped. Not openable (permissions, a symlink loop, a
    dangling symlink): an error.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if os.path.islink(path) and isinstance(exc, FileNotFoundError):
            reason = f"a symbolic link to a missing file ({os.readlink(path)})"
        return FileResult(file=str(path), error=f"cannot read file: {reason}", failed=True)
    if not S_ISREG(mode):
        reason = f"not a regular file but {file_kind(mode)}; only regular files are read"
        return FileResult(file=str(path), error=reason)
    try:
        open_regular(path).close()
    except InputError as exc:
        return FileResult(file=str(path), error=exc.reason, failed=True)
    return None


def _read_and_write(
    store: GraphStore,
    prepare: _Prepared,
    path: Path,
    fixed: Adapter | None,
    options: AdapterOptions,
    force: bool,
    write_lock: AbstractContextManager[object] | None,
) -> FileResult:
    """Detect, parse and write one readable file; input errors become its result.

    A file no adapter claims may be an outcome file (an evaluation report beside
    runs, see :mod:`reverie.ingest.outcomes`): its outcomes go onto the sessions
    of its run.
    """
    previous = store.source_state(prepare.tenant, prepare.stored_path(path))
    if not force and previous is not None and _unchanged(previous, path.stat()):
        # unchanged since its last ingest: not even its format is read again
        fmt = fixed.name if fixed is not None else previous.format
        return FileResult(file=str(path), format=fmt, unchanged=True)
    try:
        adapter = fixed or detect(path)
    except UnknownFormatError as exc:
        verdicts = read_report(path)
        if verdicts is None:
            return FileResult(file=str(path), error=exc.reason)
        return _ingest_report(store, prepare, path, verdicts, write_lock)
    except InputError as exc:
        return FileResult(file=str(path), error=exc.reason)
    try:
        return ingest_file(store, prepare, path, adapter, options, force, write_lock,
                           previous=previous)
    except InputError as exc:
        return FileResult(file=str(path), error=exc.reason)


def _ingest_report(
    store: GraphStore,
    prepare: _Prepared,
    path: Path,
    verdicts: dict[str, Verdict],
    write_lock: AbstractContextManager[object] | None,
) -> FileResult:
    """Attach an outcome file's verdicts (its being unchanged was checked before)."""
    result = FileResult(file=str(path), format=OUTCOME_FORMAT)
    tenant = prepare.tenant
    redact = prepare.redactor.redact_text if prepare.redactor is not None else str
    with write_lock or nullcontext():
        result.outcomes = attach_outcomes(store, tenant, path, verdicts, redact)
    return result


def _summarise(summary: IngestSummary, result: FileResult, named: bool, fixed: bool) -> None:
    if result.error is None:
        summary.add(result)
    elif named or fixed or result.failed:
        summary.errors.append({"file": result.file, "reason": result.error})
    else:
        summary.skipped.append({"file": result.file, "reason": result.error})


def default_workers(files: int) -> int:
    """One worker per core (at most 4) for many files; none for a few."""
    return min(os.cpu_count() or 1, 4) if files >= _PARALLEL_FROM else 1


def ingest_paths(
    workspace: Workspace,
    tenant: str,
    paths: Iterable[Path],
    *,
    agent: str | None = None,
    fmt: str = "auto",
    mapping: Path | None = None,
    force: bool = False,
    workers: int = 1,
    on_file: Callable[[Path, FileResult], None] | None = None,
) -> IngestSummary:
    """Ingest files and folders into ``tenant``; bad files are reported in the summary, not raised.

    Redaction follows the workspace's ``[redact]`` settings. ``workers`` > 1
    parses and writes files in that many processes. Each worker opens the
    store that the workspace's settings configure (the workspace's own store
    is written to only to ingest again a file whose worker failed or died),
    and each file is still one transaction. See :func:`default_workers` for
    what the CLI picks.
    """
    try:
        tenant = check_tenant(tenant)
        if agent is not None:
            check_agent(agent)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    settings, store = workspace.settings, workspace.store
    options = AdapterOptions(agent=agent, mapping_file=mapping)
    fixed = None if fmt == "auto" else get_adapter(fmt)
    if fmt == "mapping":
        from reverie.adapters.mapping import load_mapping

        load_mapping(mapping)  # a bad mapping stops here, once, naming the mapping file
    files = list(discover(paths))
    summary = IngestSummary()
    if workers <= 1:
        prepare = _Prepared(settings, tenant)
        for path, named in files:
            result = _ingest_one(store, prepare, path, fixed, options, force)
            _summarise(summary, result, named, fixed is not None)
            if on_file:
                on_file(path, result)
        return summary
    from reverie.ingest.workers import run_parallel

    job = (settings, tenant, fmt, options, force)
    for (path, named), result in zip(
        files, run_parallel(job, [p for p, _ in files], workers, store), strict=True
    ):
        _summarise(summary, result, named, fixed is not None)
        if on_file:
            on_file(path, result)
    return summary
