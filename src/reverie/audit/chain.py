"""Audit entries and the checks of a chain of them (used by :mod:`reverie.audit.log`).

An entry's ``hash`` names its algorithm: ``hmac:`` (HMAC-SHA256 keyed with the
workspace's audit key) or the legacy ``b2:`` (BLAKE2b, no key). The head's
MAC binds the last ``seq`` and ``hash`` to the key. :func:`check_chain` walks
a log's entries and names the first one that was edited, rewritten without
the key, deleted, reordered or duplicated; :func:`check_anchor` checks that
the log still holds an anchored entry (``SEQ:HASH``) at its place.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import AuditError
from reverie.ids import content_hash
from reverie.models import CurationDecision
from reverie.rulebook.rules import Rule

__all__ = [
    "KEYED",
    "LEGACY",
    "AuditEntry",
    "AuditReport",
    "RuleState",
    "check_anchor",
    "check_chain",
    "dumps",
    "head_mac",
    "parse_anchor",
    "read_key",
]

LEGACY = "b2:"
KEYED = "hmac:"


class RuleState(BaseModel):
    """A rule as a logged decision left it: status, version and a digest of its directive."""

    model_config = ConfigDict(extra="forbid")

    status: str
    version: int
    directive: str

    @classmethod
    def of(cls, rule: Rule) -> RuleState:
        return cls(
            status=rule.status,
            version=rule.version,
            directive=content_hash(rule.directive.encode("utf-8")),
        )


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
    rule_state: RuleState | None = None
    prev: str
    hash: str = ""

    def data(self) -> dict[str, Any]:
        """The entry as stored (``rule_state`` only when set, as before it existed)."""
        body = self.model_dump(mode="json")
        if body["rule_state"] is None:
            del body["rule_state"]
        return body

    def compute_hash(self, key: bytes | None = None) -> str:
        """``hmac:`` HMAC-SHA256 with ``key``; without a key the legacy ``b2:`` BLAKE2b."""
        body = self.data()
        del body["hash"]
        canonical = orjson.dumps(("audit", body), option=orjson.OPT_SORT_KEYS, default=str)
        if key is None:
            return content_hash(canonical)
        return KEYED + hmac.new(key, canonical, hashlib.sha256).hexdigest()

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
    legacy: int = 0
    anchor: str | None = None


def dumps(entry: AuditEntry) -> bytes:
    """The entry's line in the log (without the newline)."""
    return orjson.dumps(entry.data(), option=orjson.OPT_SORT_KEYS)


def head_mac(key: bytes, seq: int, digest: str) -> str:
    """The head file's MAC of the last ``seq`` and ``hash``."""
    return hmac.new(key, orjson.dumps(["audit.head", seq, digest]), hashlib.sha256).hexdigest()


def parse_anchor(text: str) -> tuple[int | None, str]:
    """``"SEQ:HASH"`` -> ``(SEQ, HASH)``; a bare ``"HASH"`` -> ``(None, HASH)``.

    >>> parse_anchor("12:hmac:ab12")
    (12, 'hmac:ab12')
    >>> parse_anchor("hmac:ab12")
    (None, 'hmac:ab12')
    """
    text = text.strip()
    seq, _, rest = text.partition(":")
    if seq.isdigit() and rest:
        return int(seq), rest
    return None, text


def read_key(path: Path) -> bytes | None:
    """The audit key in ``path``, or None if there is none yet."""
    try:
        raw = Path(path).read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        return None
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise AuditError(
            f"{path}: not an audit key (expected 64 hex digits); restore it from a backup "
            "(entries keyed with the lost key can no longer be checked)"
        )
    return key


def check_chain(
    path: Path, rows: list[tuple[int, AuditEntry]], key: bytes | None, key_path: Path
) -> int:
    """Walk the chain of ``rows`` (line, entry) read from ``path``; raise :class:`AuditError`
    naming the first bad entry; return the number of legacy (unkeyed) entries at its start."""
    where_seq: dict[int, list[int]] = {}
    for lineno, entry in rows:
        where_seq.setdefault(entry.seq, []).append(lineno)
    expected_seq, prev_hash, legacy, keyed = 1, "", 0, False
    for lineno, entry in rows:
        where = f"{path}:{lineno}: entry seq {entry.seq}"
        if entry.hash.startswith(KEYED):
            if key is None:
                raise AuditError(
                    f"{where} is keyed, but {key_path} is missing: restore it from a backup"
                )
            keyed = True
            sound = hmac.compare_digest(entry.compute_hash(key), entry.hash)
        elif entry.hash.startswith(LEGACY) and keyed:
            raise AuditError(
                f"{where} was rewritten: it carries an unkeyed ({LEGACY}) hash after keyed "
                "entries, as only someone without the audit key would write it"
            )
        else:
            legacy += 1
            sound = entry.compute_hash() == entry.hash
        if not sound:
            raise AuditError(f"{where} was edited (its hash does not match its content)")
        if entry.seq != expected_seq:
            raise AuditError(out_of_place(where, entry.seq, expected_seq, where_seq))
        if entry.prev != prev_hash:
            raise AuditError(
                f"{where} does not chain to the entry before it (the previous entry was "
                "replaced or rewritten)"
            )
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    return legacy


def out_of_place(where: str, seq: int, expected: int, lines: dict[int, list[int]]) -> str:
    """Why entry ``seq`` stands where ``expected`` should: duplicated, reordered or deleted."""
    if len(lines.get(seq, [])) > 1:
        return f"{where} is duplicated (it is at lines {', '.join(map(str, lines[seq]))})"
    if expected in lines:
        return (
            f"{where} is out of place: entries were reordered (expected seq {expected} "
            f"here, which is at line {lines[expected][0]})"
        )
    if seq > expected:
        missing = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
        return f"{where}: entry seq {missing} before it was deleted"
    return f"{where} is out of order (expected seq {expected}): entries were reordered"


def check_anchor(path: Path, rows: list[tuple[int, AuditEntry]], anchor: str) -> None:
    """Raise :class:`AuditError` unless ``rows`` still hold the anchored entry at its place."""
    seq, digest = parse_anchor(anchor)
    by_seq = {e.seq: (n, e) for n, e in rows}
    if seq is None:
        found = next((e for _, e in rows if e.hash == digest), None)
        if found is None:
            raise AuditError(
                f"{path}: no entry has the anchored hash {digest}: the log was "
                f"rewritten or cut{erasure_hint(rows, 0)}"
            )
        return
    if seq not in by_seq:
        last = rows[-1][1].seq if rows else 0
        raise AuditError(
            f"{path}: the anchor is entry seq {seq}, but the log ends at seq {last}: "
            "entries were cut (or the log replaced by an older copy)"
        )
    lineno, entry = by_seq[seq]
    if entry.hash != digest:
        raise AuditError(
            f"{path}:{lineno}: entry seq {seq} is not the anchored one (anchor {digest}, "
            f"log {entry.hash}): the log was rewritten at or before seq {seq}"
            + erasure_hint(rows, seq)
        )


def erasure_hint(rows: list[tuple[int, AuditEntry]], seq: int) -> str:
    """A note naming a logged erasure that rewrote entries from ``seq`` (or any) on, or ""."""
    for _, entry in rows:
        rewritten = entry.details.get("entries") or []
        if entry.action == "erase_audit_text" and rewritten and min(rewritten) <= (seq or 1e18):
            return (
                f" (the erasure logged at seq {entry.seq} rewrote entries from seq "
                f"{min(rewritten)} on; take a new anchor after each `reverie forget`)"
            )
    return ""
