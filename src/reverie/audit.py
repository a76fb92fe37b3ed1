"""The audit log: an append-only JSONL file in which every entry is hash-chained.

Each line of ``.reverie/audit.jsonl`` is one :class:`AuditEntry`: a curation or
review decision plus ``seq`` (1, 2, 3, ...), ``prev`` (the hash of the entry
before it, ``""`` for the first) and ``hash`` (BLAKE2b over the entry's canonical
JSON without ``hash``). A small head file (``audit.head``) remembers the last
``seq`` and ``hash``, so deleting entries from the end is detected too.

:func:`AuditLog.verify` walks the chain and raises :class:`~reverie.errors.AuditError`
naming the first entry (its ``seq`` and line) that was edited, deleted or moved.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reverie.errors import AuditError
from reverie.ids import make_id
from reverie.models import CurationDecision

__all__ = ["AuditEntry", "AuditLog", "AuditReport"]

LOG_NAME = "audit.jsonl"
HEAD_NAME = "audit.head"


class AuditEntry(BaseModel):
    """One logged decision, chained to the entry before it."""

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=1)
    tenant: str
    action: str
    rule_id: str | None = None
    motif_id: str | None = None
    actor: str
    reason: str
    at: datetime
    details: dict[str, Any] = Field(default_factory=dict)
    prev: str
    hash: str = ""

    def compute_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"hash"})
        return make_id("audit", body)

    def decision(self) -> CurationDecision:
        return CurationDecision(
            action=self.action,
            rule_id=self.rule_id,
            motif_id=self.motif_id,
            actor=self.actor,
            reason=self.reason,
            at=self.at,
            details=self.details,
        )


class AuditReport(BaseModel):
    """What :meth:`AuditLog.verify` found in a sound log."""

    model_config = ConfigDict(extra="forbid")

    path: str
    entries: int
    head: str


def _dumps(entry: AuditEntry) -> bytes:
    return orjson.dumps(entry.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)


class AuditLog:
    """The append-only, hash-chained decision log of one workspace (``state_dir``)."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / LOG_NAME
        self.head_path = Path(state_dir) / HEAD_NAME

    # -- writing -------------------------------------------------------------
    def append(self, tenant: str, decision: CurationDecision) -> AuditEntry:
        """Chain ``decision`` to the last entry and append it (under a file lock)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                last = self._last_entry(fh)
                entry = AuditEntry(
                    seq=(last.seq + 1) if last else 1,
                    tenant=tenant,
                    prev=last.hash if last else "",
                    **decision.model_dump(),
                )
                entry.hash = entry.compute_hash()
                fh.seek(0, os.SEEK_END)
                fh.write(_dumps(entry) + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
                self._write_head(entry)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return entry

    def _write_head(self, entry: AuditEntry) -> None:
        tmp = self.head_path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps({"seq": entry.seq, "hash": entry.hash}))
        os.replace(tmp, self.head_path)

    @staticmethod
    def _last_entry(fh: Any) -> AuditEntry | None:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return None
        block = min(size, 65536)
        while True:
            fh.seek(size - block)
            tail = fh.read(block).rstrip(b"\n")
            if b"\n" in tail or block == size:
                break
            block = min(size, block * 2)
        line = tail.rsplit(b"\n", 1)[-1]
        try:
            return AuditEntry.model_validate(orjson.loads(line))
        except (orjson.JSONDecodeError, ValidationError) as exc:
            raise AuditError(
                "the last audit entry is unreadable; run `reverie audit verify`"
            ) from exc

    # -- reading -------------------------------------------------------------
    def entries(
        self, tenant: str | None = None, rule_id: str | None = None
    ) -> Iterator[AuditEntry]:
        """Entries in order, optionally only one tenant's or one rule's (not verified)."""
        if not self.path.exists():
            return
        with open(self.path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                entry = self._parse(raw, lineno)
                if tenant is not None and entry.tenant != tenant:
                    continue
                if rule_id is not None and entry.rule_id != rule_id:
                    continue
                yield entry

    def _parse(self, raw: bytes, lineno: int) -> AuditEntry:
        try:
            return AuditEntry.model_validate(orjson.loads(raw))
        except (orjson.JSONDecodeError, ValidationError) as exc:
            raise AuditError(
                f"{self.path}:{lineno}: entry is not a valid audit entry ({exc})"
            ) from exc

    def verify(self) -> AuditReport:
        """Check the whole chain; raise :class:`AuditError` naming the first bad entry."""
        expected_seq, prev_hash = 1, ""
        if self.path.exists():
            with open(self.path, "rb") as fh:
                for lineno, raw in enumerate(fh, 1):
                    if not raw.strip():
                        raise AuditError(f"{self.path}:{lineno}: blank line inside the log")
                    entry = self._parse(raw, lineno)
                    where = f"{self.path}:{lineno}: entry seq {entry.seq}"
                    if entry.compute_hash() != entry.hash:
                        raise AuditError(
                            f"{where} was edited (its hash does not match its content)"
                        )
                    if entry.seq > expected_seq:
                        missing = (
                            f"{expected_seq}"
                            if entry.seq == expected_seq + 1
                            else (f"{expected_seq}..{entry.seq - 1}")
                        )
                        raise AuditError(f"{where}: entry seq {missing} before it was deleted")
                    if entry.seq < expected_seq:
                        raise AuditError(
                            f"{where} is out of order (expected seq {expected_seq}): entries were "
                            "reordered or duplicated"
                        )
                    if entry.prev != prev_hash:
                        raise AuditError(
                            f"{where} does not chain to the entry before it (reordered, or the "
                            "previous entry was replaced)"
                        )
                    expected_seq, prev_hash = entry.seq + 1, entry.hash
        self._check_head(expected_seq - 1, prev_hash)
        return AuditReport(path=str(self.path), entries=expected_seq - 1, head=prev_hash)

    def _check_head(self, last_seq: int, last_hash: str) -> None:
        if not self.head_path.exists():
            if last_seq:
                raise AuditError(f"{self.head_path} is missing: the log's head cannot be checked")
            return
        try:
            head = orjson.loads(self.head_path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise AuditError(f"{self.head_path} is unreadable") from exc
        if head.get("seq") != last_seq or head.get("hash") != last_hash:
            if isinstance(head.get("seq"), int) and head["seq"] > last_seq:
                raise AuditError(
                    f"{self.path}: entries seq {last_seq + 1}..{head['seq']} at the end "
                    "were deleted"
                )
            raise AuditError(
                f"{self.path}: the last entry (seq {last_seq}) is not the one recorded in "
                f"{self.head_path.name} (seq {head.get('seq')}): the end of the log was changed"
            )
