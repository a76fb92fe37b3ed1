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
store. The detectors themselves are in :mod:`reverie.redact.patterns`;
docs/privacy.md lists the classes and how to configure them.

:meth:`Redactor.redact_session` walks the parsed session's models generically:
every field that can hold a string (native ids, agent, model, tool name, call
id, event key, source path, flags, attrs, tool input keys and values, outcome
detail, and any field added later) is redacted; only the ids Reverie computes
itself (hashes, assigned after redaction) are skipped. Identity fields are
redacted as whole strings, so one raw value always becomes the same stored
value: ids hashed from them, links between calls and results, and re-ingest
stay stable. JSON-like values are walked with an explicit stack, so no nesting
depth can raise ``RecursionError``.

>>> r = Redactor(key=b"k" * 32)
>>> r.redact_text("mail ada@example.org, card 4111 1111 1111 1111")
'mail <EMAIL:ff3896>, card <CARD:25662c>'
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import types
import typing
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import ConfigError
from reverie.models import ParsedSession
from reverie.redact.patterns import (
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
    "ASSIGNED_IDS",
    "PII_CLASSES",
    "SECRET_CLASSES",
    "FileCheck",
    "Finding",
    "LineFinding",
    "Redactor",
    "check_file",
    "key_path",
    "load_or_create_key",
    "visited_fields",
]

ModelT = TypeVar("ModelT", bound=BaseModel)

_CLASS_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
_PLACEHOLDER_CACHE_MAX = 65536
_MEMO_MAX = 8192  # short strings already redacted (paths, models, tool names repeat per event)
_MEMO_LEN = 200
# ids Reverie computes itself (content hashes of already redacted values), never content
ASSIGNED_IDS = frozenset(
    {"id", "session_id", "prev_id", "answers_id", "parent_id", "parent_call_event_id"}
)


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
        self._memo: dict[str, str | None] = {}  # short text -> redacted, None: unchanged

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
        """``text`` with every detected value replaced by its placeholder.

        An unchanged text is returned as the same object.
        """
        if not self.enabled or len(text) < 6:
            return text
        if len(text) > _MEMO_LEN:
            return self._redact_spans(text)
        memo = self._memo
        try:
            done = memo[text]
        except KeyError:
            done = self._redact_spans(text)
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[text] = None if done is text else done
            return done
        return text if done is None else done

    def _redact_spans(self, text: str) -> str:
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
        """Redact a JSON-like value: strings inside dicts and lists (keys too), at any depth.

        A string under a key that names a secret (``password``, ``api_key``,
        ``token``, ...) is replaced whole, as an ``ENV_SECRET``; a pydantic model
        inside is redacted in place (:meth:`redact_record`). Other types are
        returned as they are; an unchanged value is returned as the same object.
        The walk keeps its own stack: nesting depth is bounded by memory only.
        """
        if not self.enabled:
            return obj
        if isinstance(obj, str):
            return self.redact_text(obj)
        if isinstance(obj, BaseModel):
            return self.redact_record(obj)
        if not isinstance(obj, dict | list | tuple):
            return obj
        stack = [_Frame(obj)]
        while True:
            frame = stack[-1]
            child = frame.advance(self)
            if child is not None:
                stack.append(_Frame(child))
                continue
            stack.pop()
            result = frame.result()
            if not stack:
                return result
            stack[-1].accept(result)

    def redact_record(self, record: ModelT) -> ModelT:
        """Redact every field of a pydantic model that can hold a string, in place.

        Fields are found from the model class (see :func:`visited_fields`), so
        a field added to a model is redacted without a change here; nested
        models and JSON-like values are walked. Only the ids Reverie computes
        (:data:`ASSIGNED_IDS`) and fields typed as numbers, booleans, times or
        a ``Literal`` choice are skipped. A field is assigned only when its
        value changed. Returns ``record``.
        """
        if not self.enabled:
            return record
        values = record.__dict__
        memo = self._memo
        for name, is_model in _field_plan(type(record)):
            value = values.get(name)
            if not value:  # None, "", {}, []: nothing to redact
                continue
            if type(value) is str:
                # ids, paths, models repeat: the memo, inlined (long texts are never in it,
                # and hashing one only to miss costs as much as a scan of it)
                new = memo.get(value, _MISS) if len(value) <= _MEMO_LEN else _MISS
                if new is None:
                    continue
                if new is _MISS:
                    new = self.redact_text(value)
            elif is_model and isinstance(value, BaseModel):
                self.redact_record(value)
                continue
            else:
                new = self.redact_value(value)
            if new is not value:
                setattr(record, name, new)
        return record

    def redact_session(self, ps: ParsedSession) -> ParsedSession:
        """Redact every stored string field of a parsed session, in place; returns ``ps``.

        The session (native and parent ids, agent, model, source path, task,
        attrs), each event (key, text, tool name, call id, model, flags, tool
        input keys and values, attrs, source path) and the outcome: whatever
        :meth:`redact_record` finds. Redaction runs before provenance computes
        ids, so ids hash the redacted values and re-ingesting a file is a no-op.
        """
        self.redact_record(ps)
        return ps


class _Frame:
    """One dict, list or tuple being redacted by :meth:`Redactor.redact_value`."""

    __slots__ = ("changed", "is_dict", "items", "out", "pending", "src")

    def __init__(self, src: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> None:
        self.src = src
        self.is_dict = isinstance(src, dict)
        self.items: Any = iter(src.items()) if isinstance(src, dict) else iter(src)
        self.out: Any = {} if self.is_dict else []
        self.changed = False
        self.pending: tuple[Any, Any] = (None, None)  # (key, value) of the child being walked

    def advance(self, r: Redactor) -> Any:
        """Redact items up to the next dict or list inside (returned), or to the end (None)."""
        is_dict, out = self.is_dict, self.out
        for item in self.items:
            if is_dict:
                k, v = item
                nk = r.redact_text(k) if type(k) is str else k
                if nk is not k:
                    self.changed = True
                if type(v) is str and v and r.secret_keys and _names_secret(nk):
                    nv: Any = v if _is_placeholder(v) else r.placeholder("ENV_SECRET", v)
                else:
                    nv = _leaf(r, v)
            else:
                nk, v = None, item
                nv = _leaf(r, v)
            if nv is _DESCEND:
                self.pending = (nk, v)
                return v
            if nv is not v:
                self.changed = True
            if is_dict:
                out[nk] = nv
            else:
                out.append(nv)
        return None

    def accept(self, result: Any) -> None:
        """Take the redacted child that :meth:`advance` returned."""
        key, value = self.pending
        if result is not value:
            self.changed = True
        if self.is_dict:
            self.out[key] = result
        else:
            self.out.append(result)

    def result(self) -> Any:
        return self.out if self.changed else self.src


_DESCEND = object()
_MISS = object()


def _leaf(r: Redactor, value: Any) -> Any:
    """A redacted scalar or model, or ``_DESCEND`` for a dict or list to walk."""
    if type(value) is str:
        return r.redact_text(value)
    if isinstance(value, dict | list | tuple):
        return _DESCEND
    if isinstance(value, BaseModel):
        return r.redact_record(value)
    if isinstance(value, str):  # a str subclass
        return r.redact_text(value)
    return value


_SCALARS = (int, float, bool, datetime, type(None))


def visited_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of a model class that redaction visits: all that can hold a string.

    Skipped: :data:`ASSIGNED_IDS`, and fields typed only as numbers, booleans,
    times, a ``Literal`` choice (validated, so never free text) or a model
    with no such field itself.

    >>> from reverie.models import Event, SourceRef, Usage
    >>> visited_fields(SourceRef), visited_fields(Usage), "usage" in visited_fields(Event)
    (('file',), (), False)
    """
    return tuple(name for name, _ in _field_plan(cls))


@functools.cache
def _field_plan(cls: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """(name, holds only a model) for each field :func:`visited_fields` names."""
    return tuple(
        (name, _only_models(field.annotation))
        for name, field in cls.model_fields.items()
        if name not in ASSIGNED_IDS and not _fixed(field.annotation)
    )


def _options(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _fixed(annotation: Any) -> bool:
    """True for an annotation that admits no free text: numbers, booleans, times,
    Literals, and models without a field that does."""
    return all(
        a in _SCALARS
        or typing.get_origin(a) is typing.Literal
        or (_is_model(a) and not _field_plan(a))
        for a in _options(annotation)
    )


def _only_models(annotation: Any) -> bool:
    return all(a is type(None) or _is_model(a) for a in _options(annotation))


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


_SECRET_NAME_MEMO: dict[str, bool] = {}


def _names_secret(key: Any) -> bool:
    """Whether a dict key names a secret (``password``, ``api_key``, ...); keys repeat: memoised."""
    if not isinstance(key, str):
        return False
    known = _SECRET_NAME_MEMO.get(key)
    if known is None:
        known = SECRET_KEY_NAMES.search(key) is not None
        if len(_SECRET_NAME_MEMO) >= _MEMO_MAX:
            _SECRET_NAME_MEMO.clear()
        _SECRET_NAME_MEMO[key] = known
    return known
