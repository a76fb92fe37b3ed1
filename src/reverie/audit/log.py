"""The audit log: an append-only JSONL file in which every entry is chained and keyed.

Each line of ``.reverie/audit.jsonl`` is one :class:`AuditEntry`: a curation or
review decision plus ``seq`` (1, 2, 3, ...), ``prev`` (the hash of the entry
before it, ``""`` for the first) and ``hash``, which names its algorithm:

- ``hmac:`` HMAC-SHA256, keyed with the workspace's audit key, over the
  entry's canonical JSON without ``hash``. The key is 32 random bytes in
  ``.reverie/audit.key`` beside the redaction key (mode 0600, a temporary file
  renamed into place), never in the log. It is written together with the
  first keyed entries, through the journal, so it exists exactly when the
  log has keyed entries: a key with an empty or all-unkeyed log means the
  log was deleted or rewritten;
- ``b2:`` BLAKE2b without a key: entries written before the log was keyed.
  They are accepted as **legacy** only as a prefix of the log: an unkeyed
  entry after the first keyed one is reported as rewritten. An existing log
  needs no migration step: the next append continues it with keyed entries
  (``reverie audit verify`` counts the legacy ones).

An entry that wrote a rule file records the rule's resulting state
(``rule_state``: status, version and a digest of the directive), so the rule
files can be checked against the log (:mod:`reverie.audit.rules`).

A small head file (``audit.head``) holds the last ``seq``, its ``hash`` and a
MAC of both, so cutting entries from the end is detected too. Every write
takes the workspace lock (:meth:`AuditLog.locked`, which first completes or
discards an interrupted command's journal, :mod:`reverie.audit.journal`) and
**verifies the tail first**: the last entry must be intact and be the one
the head names, else :class:`~reverie.errors.AuditError` and nothing is
appended (a cut log is never silently continued). The new entries, the head
and any rule files are then written as one journaled unit.

:meth:`AuditLog.verify` walks the chain (:mod:`reverie.audit.chain`) and raises
:class:`~reverie.errors.AuditError` naming the first entry (its ``seq`` and
line) that was edited, deleted, reordered or duplicated; with ``anchor``
(``SEQ:HASH``, as :meth:`AuditLog.anchor` prints it) it also checks that the
log still holds that entry at that place.

What this covers and what it does not
-------------------------------------

- Editing, deleting, inserting, reordering or duplicating entries, or cutting
  the end, is detected by anyone who can read the log and the key.
- Rewriting the whole log consistently (recomputing every hash) needs the
  key. Whoever holds the key (anyone who can read ``.reverie/audit.key``) can
  rewrite the log and its head without a trace in the workspace; an
  **anchor** kept elsewhere (``reverie audit anchor``) still detects any
  rewrite or cut of entries up to the anchored one, but not of entries after it.
- Deleting the log, the head and the key together leaves an empty log that
  verifies; the rule files then no longer match the log, so
  ``reverie audit verify`` reports them and they are not rendered. A stored
  anchor detects it too.
- Replacing the log and head with an older copy of both (a rollback) is
  detected only by an anchor taken after that copy.
- Legacy (``b2:``) entries can be rewritten by anyone; only an anchor protects them.
- ``reverie forget`` rewrites the tenant's entries that quoted erased text and
  re-chains the log from there (logged as ``erase_audit_text``): anchors
  taken before an erasure then no longer match; take a new one after it.
"""

from __future__ import annotations

import hmac
import os
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from reverie.audit import journal
from reverie.audit.chain import (
    KEYED,
    LEGACY,
    AuditEntry,
    AuditReport,
    RuleState,
    check_anchor,
    check_chain,
    dumps,
    head_mac,
    parse_anchor,
    read_key,
)
from reverie.audit.lock import workspace_lock
from reverie.errors import AuditError
from reverie.models import CurationDecision
from reverie.rulebook.rules import Rule, render_rule, rule_path

__all__ = ["AuditEntry", "AuditLog", "AuditReport", "RuleState", "parse_anchor", "read_key"]

LOG_NAME = "audit.jsonl"
HEAD_NAME = "audit.head"
KEY_NAME = "audit.key"
REPAIR = (
    "Reverie appends only to a log it can vouch for: run `reverie audit verify` for the "
    "details, then restore .reverie/audit.jsonl and .reverie/audit.head from a backup"
)


class AuditLog:
    """The append-only, keyed and chained decision log of one workspace (``state_dir``)."""

    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / LOG_NAME
        self.head_path = self.state_dir / HEAD_NAME
        self.key_path = self.state_dir / KEY_NAME

    # -- the lock ------------------------------------------------------------
    @contextmanager
    def locked(
        self,
        command: str = "reverie",
        *,
        timeout: float | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> Iterator[None]:
        """Hold the workspace lock; on taking it, finish any interrupted command first."""
        with workspace_lock(
            self.state_dir, command, timeout=timeout, on_wait=on_wait, on_acquire=self._recover
        ):
            yield

    def _recover(self) -> None:
        done = journal.recover(self.state_dir)
        if done is None:
            return
        print(f"reverie: {done.reason}", file=sys.stderr, flush=True)
        decision = CurationDecision(
            action=f"recover.{done.action}",
            actor="reverie",
            reason=done.reason,
            at=datetime.now(UTC),
            details={"command": done.command, "files": done.files},
        )
        try:
            self.append("*", decision)
        except AuditError as exc:
            print(f"reverie: the recovery could not be logged: {exc}", file=sys.stderr, flush=True)

    # -- writing -------------------------------------------------------------
    def append(self, tenant: str, decision: CurationDecision) -> AuditEntry:
        """Chain ``decision`` to the last entry and append it (see :meth:`commit`)."""
        return self.commit(tenant, [decision])[0]

    def commit(
        self,
        tenant: str,
        decisions: Sequence[CurationDecision],
        rules: Sequence[Rule] = (),
        rules_dir: Path | None = None,
        command: str = "reverie",
    ) -> list[AuditEntry]:
        """Log ``decisions`` and write ``rules`` into ``rules_dir`` as one journaled unit.

        Under the workspace lock: the log's tail is checked against its head,
        the entries are chained and keyed (an entry about a written rule
        records its state), then entries, head and rule files are written
        through :func:`reverie.audit.journal.run`. Every rule needs a decision.
        """
        if not decisions:
            return []
        decided = {d.rule_id for d in decisions}
        if any(r.id not in decided for r in rules) or (rules and rules_dir is None):
            raise ValueError("every rule written needs a decision about it, and rules_dir")
        with self.locked(command):
            last, size = self._check_tail()
            key, key_op = self._signing_key(last)
            states = {r.id: RuleState.of(r) for r in rules}
            entries, prev, seq = [], last.hash if last else "", last.seq if last else 0
            for d in decisions:
                seq += 1
                entry = AuditEntry(
                    seq=seq,
                    tenant=tenant,
                    prev=prev,
                    rule_state=states.get(d.rule_id or ""),
                    **d.model_dump(),
                )
                entry.hash = prev = entry.compute_hash(key)
                entries.append(entry)
            ops = [key_op] if key_op else []
            if entries:
                text = b"".join(dumps(e) + b"\n" for e in entries).decode("utf-8")
                ops.append(
                    journal.Op(
                        kind="append", path=str(self.path), offset=size, text=text, step="audit"
                    )
                )
                ops.append(self._head_op(entries[-1], key))
            for rule in rules:
                assert rules_dir is not None
                ops.append(
                    journal.Op(
                        kind="write",
                        path=str(rule_path(rules_dir, rule.id)),
                        text=render_rule(rule),
                        step="rule",
                    )
                )
            journal.run(self.state_dir, command, ops)
        return entries

    def rewrite(
        self, fix: Callable[[AuditEntry], AuditEntry | None], command: str = "reverie"
    ) -> list[int]:
        """Replace entries (``fix`` returns the new one, or None to keep it); re-chain from the
        first change on, keyed; return the changed seqs. The log must verify first."""
        with self.locked(command):
            self.verify()
            entries = list(self.entries())
            if not entries:
                return []
            key, key_op = self._signing_key(entries[-1])
            changed: list[int] = []
            prev = ""
            for i, entry in enumerate(entries):
                new = fix(entry)
                if new is not None:
                    changed.append(entry.seq)
                    entry = new
                if changed:
                    entry.prev = prev
                    entry.hash = entry.compute_hash(key)
                prev = entry.hash
                entries[i] = entry
            if changed:
                text = b"".join(dumps(e) + b"\n" for e in entries).decode("utf-8")
                ops = [key_op] if key_op else []
                ops.append(journal.Op(kind="write", path=str(self.path), text=text, step="audit"))
                ops.append(self._head_op(entries[-1], key))
                journal.run(self.state_dir, command, ops)
        return changed

    def _head_op(self, last: AuditEntry, key: bytes) -> journal.Op:
        head = {"seq": last.seq, "hash": last.hash, "mac": head_mac(key, last.seq, last.hash)}
        return journal.Op(
            kind="write", path=str(self.head_path), text=orjson.dumps(head).decode(), step="head"
        )

    def _signing_key(self, last: AuditEntry | None) -> tuple[bytes, journal.Op | None]:
        """The audit key, and the change that creates it when there is none yet.

        A new key is written through the journal with the first keyed entries,
        so the key exists exactly when the log has keyed entries.
        """
        key = read_key(self.key_path)
        if key is not None:
            return key, None
        if last is not None and last.hash.startswith(KEYED):
            raise AuditError(self._key_missing(last.seq))
        key = secrets.token_bytes(32)
        op = journal.Op(
            kind="write", path=str(self.key_path), text=key.hex() + "\n", step="key", private=True
        )
        return key, op

    def _key_missing(self, seq: int) -> str:
        return (
            f"{self.key_path} is missing, so the keyed entries of {self.path} (up to seq {seq}) "
            "cannot be checked; restore the key file from a backup"
        )

    def _read_head(self) -> dict[str, Any] | None:
        try:
            head = orjson.loads(self.head_path.read_bytes())
        except FileNotFoundError:
            return None
        except orjson.JSONDecodeError as exc:
            raise AuditError(f"{self.head_path} is unreadable (not JSON). {REPAIR}") from exc
        if not isinstance(head, dict):
            raise AuditError(f"{self.head_path} is unreadable (not a JSON object). {REPAIR}")
        return head

    def _check_tail(self) -> tuple[AuditEntry | None, int]:
        """The last entry and the log's size, after checking the entry and the head agree."""
        size = self.path.stat().st_size if self.path.exists() else 0
        head = self._read_head()
        if size == 0:
            if head and head.get("seq"):
                raise AuditError(
                    f"{self.path} is empty or missing, but {self.head_path.name} records seq "
                    f"{head.get('seq')}: the log was deleted or emptied. {REPAIR}"
                )
            problem = self._key_problem(None, read_key(self.key_path))
            if problem:
                raise AuditError(f"{problem}. {REPAIR}")
            return None, 0
        with open(self.path, "rb") as fh:
            last = self._last_entry(fh)
        key = read_key(self.key_path)
        problem = self._key_problem(last, key)
        if problem:
            raise AuditError(f"{problem}. {REPAIR}")
        if last.compute_hash(key if last.hash.startswith(KEYED) else None) != last.hash:
            raise AuditError(
                f"{self.path}: the last entry (seq {last.seq}) was edited (its hash does not "
                f"match its content). {REPAIR}"
            )
        problem = self._head_problem(head, last.seq, last.hash, key)
        if problem:
            raise AuditError(f"{problem}. {REPAIR}")
        return last, size

    def _key_problem(self, last: AuditEntry | None, key: bytes | None) -> str | None:
        """Why the key file and the log's last entry disagree, or None.

        The key is made together with the first keyed entry, so it exists exactly
        when the log ends with a keyed entry.
        """
        keyed = last is not None and last.hash.startswith(KEYED)
        if keyed and key is None:
            assert last is not None
            return self._key_missing(last.seq)
        if key is not None and last is None:
            return (
                f"{self.path} is empty or missing, but the workspace has an audit key "
                f"({self.key_path.name}), so keyed entries were written: the log was deleted"
            )
        if key is not None and not keyed:
            assert last is not None
            return (
                f"{self.path}: the last entry (seq {last.seq}) is unkeyed ({LEGACY}), but the "
                f"workspace has an audit key ({self.key_path.name}), so keyed entries were "
                "written: the log was rewritten without the key, or replaced by an older copy"
            )
        return None

    def _head_problem(
        self, head: dict[str, Any] | None, seq: int, digest: str, key: bytes | None
    ) -> str | None:
        """Why ``head`` does not vouch for a log ending at ``seq``/``digest``, or None."""
        if head is None:
            if seq == 0:
                return None
            return f"{self.head_path} is missing: the end of {self.path.name} cannot be checked"
        if head.get("seq") != seq or head.get("hash") != digest:
            if isinstance(head.get("seq"), int) and head["seq"] > seq:
                return f"{self.path}: entries seq {seq + 1}..{head['seq']} at the end were deleted"
            return (
                f"{self.path}: the last entry (seq {seq}) is not the one recorded in "
                f"{self.head_path.name} (seq {head.get('seq')}): the end of the log was changed"
            )
        if digest.startswith(KEYED):
            assert key is not None
            if not hmac.compare_digest(str(head.get("mac", "")), head_mac(key, seq, digest)):
                return f"{self.head_path} was rewritten without the key (its MAC does not match)"
        return None

    def _last_entry(self, fh: Any) -> AuditEntry:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
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
            raise AuditError(f"{self.path}: the last entry is unreadable. {REPAIR}") from exc

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

    def _rows(self) -> list[tuple[int, AuditEntry]]:
        rows = []
        if self.path.exists():
            with open(self.path, "rb") as fh:
                for lineno, raw in enumerate(fh, 1):
                    if not raw.strip():
                        raise AuditError(f"{self.path}:{lineno}: blank line inside the log")
                    rows.append((lineno, self._parse(raw, lineno)))
        return rows

    def verify(self, anchor: str | None = None) -> AuditReport:
        """Check the whole chain (and ``anchor``); raise :class:`AuditError` naming the first
        bad entry. Takes the workspace lock, so an interrupted command is finished first."""
        with self.locked("reverie audit verify"):
            rows = self._rows()
            key = read_key(self.key_path)
            legacy = check_chain(self.path, rows, key, self.key_path)
            last = rows[-1][1] if rows else None
            problem = self._key_problem(last, key) or self._head_problem(
                self._read_head(), last.seq if last else 0, last.hash if last else "", key
            )
            if problem:
                raise AuditError(problem)
            if anchor is not None:
                check_anchor(self.path, rows, anchor)
        return AuditReport(
            path=str(self.path),
            entries=last.seq if last else 0,
            head=last.hash if last else "",
            legacy=legacy,
            anchor=anchor,
        )

    def anchor(self) -> str:
        """``SEQ:HASH`` of the last entry of a sound log, to keep somewhere else."""
        report = self.verify()
        return f"{report.entries}:{report.head}" if report.entries else ""
