"""Secrets and PII removed from transcript content before anything is stored.

A :class:`Redactor` finds secrets (provider API keys, cloud and chat tokens,
JWTs, private key blocks, passwords in URLs, ``.env``-style assignments) and
PII (e-mail addresses, phone numbers, payment cards, IBANs, US SSNs, IP
addresses) and replaces each value with a keyed, stable placeholder such as
``<EMAIL:3f9a1c>``: the first 6 hex digits of HMAC-SHA256 over the value with
a per-workspace key. The same value gives the same placeholder everywhere in
one workspace, so recurring patterns survive redaction; another workspace
(another key) gives another placeholder, so a placeholder cannot be looked up.

The key is 32 random bytes kept at ``settings.root / settings.redact.key_file``
(mode 0600), created on first use; it lives in the workspace, never in the
store. The detectors themselves are in :mod:`reverie.redact_patterns`;
docs/privacy.md lists the classes and how to configure them.

>>> r = Redactor(key=b"k" * 32)
>>> r.redact_text("mail ada@example.org, card 4111 1111 1111 1111")
'mail <EMAIL:ff3896>, card <CARD:25662c>'
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import ConfigError
from reverie.models import ParsedSession
from reverie.redact_patterns import (
    BUILTIN_CLASSES,
    PII_CLASSES,
    SECRET_CLASSES,
    SECRET_KEY_NAMES,
    Detector,
    Plan,
    builtin_detectors,
    find_all,
)
from reverie.settings import RedactSettings, Settings

__all__ = [
    "PII_CLASSES",
    "SECRET_CLASSES",
    "FileCheck",
    "Finding",
    "LineFinding",
    "Redactor",
    "check_file",
    "key_path",
    "load_or_create_key",
]

_CLASS_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
_PLACEHOLDER_CACHE_MAX = 65536


class Finding(BaseModel):
    """One value that redaction replaces: its class, its span in the text and its placeholder.

    The value itself is deliberately not kept, so a finding can be printed or logged.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    start: int
    end: int
    placeholder: str


class LineFinding(BaseModel):
    """A finding in a file: 1-based line and column, class and placeholder (never the value)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line: int
    column: int
    kind: str
    placeholder: str


class FileCheck(BaseModel):
    """What redaction would replace in one file (``reverie redact --check``)."""

    model_config = ConfigDict(extra="forbid")

    file: str
    lines: int = 0
    counts: dict[str, int] = Field(default_factory=dict)
    findings: list[LineFinding] = Field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.findings)


def load_or_create_key(path: Path) -> bytes:
    """Read the workspace's redaction key, creating it (32 random bytes, mode 0600) if absent.

    A new key is written to a temporary file and then linked into place, so
    the key file is never seen empty or half written, and of processes that
    create it at once (parallel ingest workers) the first link wins and all
    read that key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_bytes(32).hex() + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    raw = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigError(
            f"{path}: not a redaction key (expected 64 hex digits); delete it to make a new one "
            "(placeholders of already stored data will then differ)"
        )
    return key


class Redactor:
    """Finds secrets and PII in text and replaces them with keyed placeholders."""

    def __init__(
        self,
        key: bytes,
        disabled_classes: Iterable[str] = (),
        extra_patterns: dict[str, str] | None = None,
        enabled: bool = True,
    ) -> None:
        if len(key) < 16:
            raise ValueError("a redaction key needs at least 16 bytes")
        self._key = key
        self.enabled = enabled
        extra = {_class_name(name): pattern for name, pattern in (extra_patterns or {}).items()}
        disabled = _disabled(disabled_classes, extra)
        self.detectors: list[Detector] = [d for d in builtin_detectors() if d.kind not in disabled]
        for kind, pattern in extra.items():
            try:
                regex = re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"redact.extra_patterns.{kind}: not a valid regular expression: {exc}"
                ) from exc
            if kind not in disabled:
                self.detectors.append(Detector(kind, regex))
        self.secret_keys = "ENV_SECRET" not in disabled
        self._plan = Plan(self.detectors)
        self._cache: dict[str, str] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Redactor:
        """Build the workspace's redactor; creates the key file on first use."""
        conf: RedactSettings = settings.redact
        return cls(
            key=load_or_create_key(key_path(settings)),
            disabled_classes=conf.disabled_classes,
            extra_patterns=conf.extra_patterns,
            enabled=conf.enabled,
        )

    @property
    def classes(self) -> list[str]:
        """The classes this redactor detects, in detection order."""
        return list(dict.fromkeys(d.kind for d in self.detectors))

    def placeholder(self, kind: str, value: str) -> str:
        """``<KIND:xxxxxx>``: 6 hex digits of HMAC-SHA256(workspace key, value)."""
        digest = self._cache.get(value)
        if digest is None:
            digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:6]
            if len(self._cache) >= _PLACEHOLDER_CACHE_MAX:
                self._cache.clear()
            self._cache[value] = digest
        return f"<{kind}:{digest}>"

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        return find_all(self._plan, text)

    def scan(self, text: str) -> list[Finding]:
        """What :meth:`redact_text` would replace, without the values themselves."""
        if not self.enabled or not text:
            return []
        return [
            Finding(kind=k, start=s, end=e, placeholder=self.placeholder(k, text[s:e]))
            for s, e, k in self._spans(text)
        ]

    def redact_text(self, text: str) -> str:
        """``text`` with every detected value replaced by its placeholder."""
        if not self.enabled or len(text) < 6:
            return text
        spans = self._spans(text)
        if not spans:
            return text
        parts: list[str] = []
        pos = 0
        for start, end, kind in spans:
            parts.append(text[pos:start])
            parts.append(self.placeholder(kind, text[start:end]))
            pos = end
        parts.append(text[pos:])
        return "".join(parts)

    def redact_value(self, obj: Any) -> Any:
        """Redact a JSON-like value: strings inside dicts and lists (keys too), recursively.

        A string under a key that names a secret (``password``, ``api_key``,
        ``token``, ...) is replaced whole, as an ``ENV_SECRET``. Other types are
        returned as they are; an unchanged value is returned as the same object.
        """
        if not self.enabled:
            return obj
        if isinstance(obj, str):
            return self.redact_text(obj)
        if isinstance(obj, dict):
            out: dict[Any, Any] = {}
            changed = False
            for k, v in obj.items():
                nk = self.redact_text(k) if isinstance(k, str) else k
                if self.secret_keys and isinstance(v, str) and v and _names_secret(nk):
                    nv: Any = v if _is_placeholder(v) else self.placeholder("ENV_SECRET", v)
                else:
                    nv = self.redact_value(v)
                changed = changed or nk is not k or nv is not v
                out[nk] = nv
            return out if changed else obj
        if isinstance(obj, list | tuple):
            items = [self.redact_value(v) for v in obj]
            if all(a is b for a, b in zip(items, obj, strict=True)):
                return obj
            return items
        return obj

    def redact_session(self, ps: ParsedSession) -> ParsedSession:
        """Redact every text-bearing field of a parsed session, in place; returns ``ps``.

        Covers the session's task and attrs, each event's text, tool_input and
        attrs, and the outcome's detail. Fields are assigned only when redaction
        changed them, so the common case costs no model writes.
        """
        if not self.enabled:
            return ps
        session = ps.session
        if session.task:
            task = self.redact_text(session.task)
            if task is not session.task:
                session.task = task
        if session.attrs:
            attrs = self.redact_value(session.attrs)
            if attrs is not session.attrs:
                session.attrs = attrs
        for ev in ps.events:
            if ev.text:
                text = self.redact_text(ev.text)
                if text is not ev.text:
                    ev.text = text
            if ev.tool_input is not None:
                ti = self.redact_value(ev.tool_input)
                if ti is not ev.tool_input:
                    ev.tool_input = ti
            if ev.attrs:
                attrs = self.redact_value(ev.attrs)
                if attrs is not ev.attrs:
                    ev.attrs = attrs
        if ps.outcome is not None and ps.outcome.detail:
            detail = self.redact_text(ps.outcome.detail)
            if detail is not ps.outcome.detail:
                ps.outcome.detail = detail
        return ps


def check_file(redactor: Redactor, path: Path) -> FileCheck:
    """Scan a file line by line as text (undecodable bytes replaced); stores nothing."""
    check = FileCheck(file=str(path))
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            check.lines = number
            for f in redactor.scan(line):
                check.findings.append(
                    LineFinding(
                        line=number, column=f.start + 1, kind=f.kind, placeholder=f.placeholder
                    )
                )
                check.counts[f.kind] = check.counts.get(f.kind, 0) + 1
    return check


def key_path(settings: Settings) -> Path:
    """Where the workspace keeps its redaction key; it must lie inside the workspace."""
    root = settings.root.resolve()
    path = (root / settings.redact.key_file).resolve()
    if not path.is_relative_to(root):
        raise ConfigError(
            f"redact.key_file = {settings.redact.key_file!r} points outside the workspace {root}; "
            "use a path relative to the workspace, e.g. '.reverie/redact.key'"
        )
    return path


def _class_name(name: str) -> str:
    kind = name.strip().upper()
    if not _CLASS_NAME.match(kind):
        raise ConfigError(
            f"redact.extra_patterns: class name {name!r} must be letters, digits and '_' "
            "(it becomes the placeholder's label, e.g. <TICKET:3f9a1c>)"
        )
    return kind


def _disabled(names: Iterable[str], extra: dict[str, str]) -> set[str]:
    """Upper-cased class names to skip; ``secrets`` and ``pii`` name whole groups."""
    groups = {"SECRETS": SECRET_CLASSES, "PII": PII_CLASSES}
    out: set[str] = set()
    for name in names:
        kind = name.strip().upper()
        if kind in groups:
            out.update(groups[kind])
        elif kind in BUILTIN_CLASSES or kind in extra:
            out.add(kind)
        else:
            known = ", ".join([*BUILTIN_CLASSES, *extra, "secrets", "pii"])
            raise ConfigError(f"redact.disabled_classes: unknown class {name!r}; known: {known}")
    return out


_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*:[0-9a-f]{6}>")


def _is_placeholder(value: str) -> bool:
    return _PLACEHOLDER.fullmatch(value) is not None


def _names_secret(key: Any) -> bool:
    return isinstance(key, str) and SECRET_KEY_NAMES.search(key) is not None
