"""Erased text out of the files derived from it: rule files, render records, audit, caches.

``reverie forget`` clears the erased events in the store itself; the text
they held may also have been copied, whole or in part, into derived files (a
rule's directive quotes an error line or a user's correction; render records
and rendered prompts repeat directives; the audit log repeats reasons). This
module finds that text by **token**:

- a token is a run of characters without spaces, quotes or brackets;
- it is *distinctive* when it has 12+ characters, or 6+ with a digit, an inner
  capital or one of ``- _ / . : @ = \\ + % ~`` (identifiers, paths, hosts,
  markers, placeholders; plain words like "format" are not);
- a distinctive token of the erased content is *erased-only* when no live
  event of any tenant, and no template, schema or seeded rule, contains it.

Every erased-only token is replaced with ``[erased]`` in the tenant's rule
files, the tenant's render records and the rendered files they name inside
the workspace, and the tenant's audit entries (the hash chain is recomputed
from the first changed entry and the rewrite is logged); cached LLM answers
that contain one are deleted. :func:`residue` then reports any file under the
workspace that still holds one.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from reverie.audit.log import AuditEntry, AuditLog
from reverie.render.records import RenderLog
from reverie.rulebook.rules import HistoryEntry, Rule, load_rules, write_rule

__all__ = [
    "ERASED",
    "Replacer",
    "distinctive_tokens",
    "make_replacer",
    "residue",
    "scrub_audit",
    "scrub_caches",
    "scrub_render_records",
    "scrub_rules",
]

ERASED = "[erased]"
_TOKEN = re.compile(r"[^\s\"'`(){}\[\]<>,;|*]+")
_SYMBOLS = set("-_/.:@=\\+%~")
_CHUNK = 64  # long tokens (base64, hashes) are matched in pieces of this size
Replacer = Callable[[str], str]


def _distinctive(token: str) -> bool:
    if len(token) >= 12:
        return True
    if len(token) < 6:
        return False
    return (
        any(c.isdigit() for c in token)
        or any(c in _SYMBOLS for c in token)
        or any(c.isupper() for c in token[1:])
    )


def distinctive_tokens(text: str) -> set[str]:
    """The distinctive tokens of ``text`` (see the module docstring).

    >>> sorted(distinctive_tokens("deploy ZEBRA-MARKER-91f3 with format, see /tmp/a1/x.py."))
    ['/tmp/a1/x.py', 'ZEBRA-MARKER-91f3']
    """
    out: set[str] = set()
    for m in _TOKEN.finditer(text):
        token = m.group(0).strip(".:!?=#")
        if _distinctive(token):
            out.update(token[i : i + _CHUNK] for i in range(0, len(token), _CHUNK))
    return {t for t in out if len(t) >= 6}


def _trie_pattern(tokens: Iterable[str]) -> str:
    """One regular expression matching any of ``tokens``, built as a trie (fast to search)."""
    trie: dict[str, Any] = {}
    for token in tokens:
        node = trie
        for ch in token:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return walk(trie)


def make_replacer(tokens: Iterable[str]) -> Replacer:
    """A function that replaces every occurrence of any token with ``[erased]``."""
    tokens = sorted(set(tokens))
    if not tokens:
        return lambda text: text
    pattern = re.compile(_trie_pattern(tokens))
    return lambda text: pattern.sub(ERASED, text)


def _scrub_json(value: Any, replace: Replacer) -> Any:
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, list):
        return [_scrub_json(v, replace) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, replace) for k, v in value.items()}
    return value


def scrub_rules(
    rules_dir: Path,
    tenant: str,
    replace: Replacer,
    *,
    now: datetime,
    erasure: str,
    write: Callable[[Path, Rule], object] = write_rule,
) -> list[str]:
    """Replace erased-only tokens in the tenant's rule files; return the ids rewritten.

    ``write`` writes each changed rule (``forget`` passes one that logs it with
    the audit log as one journaled unit).
    """
    changed = []
    for rule in load_rules(rules_dir, tenant):
        if rule.seeded or rule.scope.tenant != tenant:
            continue
        before = rule.model_dump(mode="json") | {"notes": rule.notes}
        after = _scrub_json(before, replace)
        if after == before:
            continue
        try:
            new = Rule.model_validate(after)
        except ValidationError:
            continue  # the scrubbed text is not a valid rule; residue() reports the file
        new.version += 1
        new.updated = now
        new.history.append(
            HistoryEntry(
                action="erase_text",
                actor="forget",
                at=now,
                reason=f"text that came only from erased sessions was removed (erasure {erasure})",
            )
        )
        write(rules_dir, new)
        changed.append(new.id)
    return changed


def _rewrite_lines(path: Path, fix: Callable[[bytes], bytes]) -> bool:
    """Rewrite a JSONL file line by line under its lock; True if any line changed."""
    if not path.exists():
        return False
    with path.open("rb+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            lines = fh.read().splitlines(keepends=True)
            new = [fix(line) for line in lines]
            if new == lines:
                return False
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(b"".join(new))
            os.replace(tmp, path)
            return True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def scrub_render_records(
    state_dir: Path, workspace: Path, tenant: str, replace: Replacer
) -> list[str]:
    """Scrub the tenant's render records and the rendered files inside the workspace."""
    log = RenderLog(state_dir)
    outputs: set[Path] = set()

    def fix(line: bytes) -> bytes:
        if not line.strip():
            return line
        data = orjson.loads(line)
        if data.get("tenant") != tenant:
            return line
        if data.get("output"):
            outputs.add(Path(data["output"]))
        return orjson.dumps(_scrub_json(data, replace)) + b"\n"

    changed = [str(log.path)] if _rewrite_lines(log.path, fix) else []
    root = workspace.resolve()
    for out in sorted(outputs):
        if out.is_file() and out.resolve().is_relative_to(root):
            text = out.read_text(encoding="utf-8", errors="replace")
            if replace(text) != text:
                out.write_text(replace(text), encoding="utf-8")
                changed.append(str(out))
    return changed


def scrub_audit(log: AuditLog, tenant: str, replace: Replacer) -> list[int]:
    """Scrub the tenant's audit entries; re-chain from the first change; return changed seqs.

    :meth:`AuditLog.rewrite` checks the log first, re-chains (keyed) from the
    first changed entry on and rewrites the head, so ``reverie audit verify``
    still passes; the caller logs which entries were rewritten (an erasure
    entry appended after this).
    """

    def fix(entry: AuditEntry) -> AuditEntry | None:
        if entry.tenant != tenant:
            return None
        data = entry.model_dump(mode="json", exclude={"hash", "prev", "rule_state"})
        scrubbed = _scrub_json(data, replace)
        if scrubbed == data:
            return None
        kept = {"rule_state": entry.rule_state, "prev": "", "hash": ""}  # digests stay as logged
        return AuditEntry.model_validate(scrubbed | kept)

    return log.rewrite(fix, command="reverie forget")


def scrub_caches(state_dir: Path, tokens: Iterable[str]) -> list[str]:
    """Delete cached LLM answers (``.reverie/llm_cache/``) that hold an erased-only token."""
    needles = [t.encode() for t in tokens]
    removed = []
    cache = Path(state_dir) / "llm_cache"
    for path in sorted(cache.glob("*.json")) if cache.is_dir() else []:
        data = path.read_bytes()
        if any(n in data for n in needles):
            path.unlink()
            removed.append(str(path))
    return removed


def residue(workspace: Path, tokens: Iterable[str], limit: int = 256) -> list[str]:
    """Files under ``workspace`` whose raw bytes still hold one of the ``limit`` longest tokens."""
    chosen = sorted(set(tokens), key=lambda t: (-len(t), t))[:limit]
    if not chosen:
        return []
    pattern = re.compile(_trie_pattern(chosen).encode())
    found = []
    for folder, dirs, files in os.walk(workspace):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(files):
            path = Path(folder) / name
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if pattern.search(data):
                found.append(str(path))
    return found
