"""Helpers shared by the built-in adapters: reading, sniffing, coercion, event building.

Nothing here knows a transcript format. The adapters use these to read a
file (streamed JSONL or a whole JSON document), to look at a file's first and
last bytes when sniffing, to coerce loosely typed values (timestamps, token
counts, message content), and to build a session's events with unique keys.

A record whose shape is wrong (a string where an object was expected, a
missing key) raises one of :data:`SHAPE_ERRORS` inside an adapter; the
adapter turns it into a :class:`~reverie.models.Malformed` note. Adapters
check a value is an object (:func:`json_object`, or :func:`object_field` where
another type just means "absent") before calling its methods, so the note
says what was wrong ("usage is an array, not an object").
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from reverie.adapters._reading import (
    LINE_LIMIT,
    MB,
    RejectedJSON,
    decode,
    iter_lines,
    mb,
    open_regular,
    read_document,
)
from reverie.errors import InputError
from reverie.models import Event, EventKind, Role, SourceRef, TrustClass, Usage

__all__ = [
    "SHAPE_ERRORS",
    "EventList",
    "as_text",
    "dotted",
    "has_key",
    "head_text",
    "is_jsonl",
    "iter_json_lines",
    "json_object",
    "json_type",
    "list_field",
    "load_json_document",
    "object_field",
    "parse_json_arg",
    "parse_time",
    "read_sample",
    "resolve_agent",
    "to_float",
    "to_int",
    "tool_trust",
]

SHAPE_ERRORS = (KeyError, TypeError, ValueError, IndexError, RecursionError)
"""What a record of the wrong shape raises while an adapter reads it.

Not ``AttributeError``: a missing attribute is a bug in the adapter, not a
malformed line; an adapter checks a value's type before calling its methods.
"""

TAIL_BYTES = 8192
_EXTERNAL_TOOL = re.compile(
    r"(web_?fetch|web_?search|browse|browser|fetch_url|http_get|url_?fetch)", re.I
)


def head_text(head: bytes) -> str:
    """Decode a file's first bytes leniently (a cut multi-byte character is replaced)."""
    return head.decode("utf-8", "replace")


def read_sample(path: Path, head: bytes) -> str:
    """The head plus the last few KiB of the file, as text: enough to spot trailing keys."""
    text = head_text(head)
    try:
        with open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size <= len(head):
                return text
            fh.seek(max(len(head), size - TAIL_BYTES))
            return text + "\n" + head_text(fh.read(TAIL_BYTES))
    except (InputError, OSError):
        return text


def has_key(text: str, key: str, value: str | None = None) -> bool:
    """Whether ``"key":`` (optionally followed by ``"value``) occurs in JSON text."""
    pattern = r'"' + re.escape(key) + r'"\s*:\s*'
    if value is not None:
        pattern += r'"' + re.escape(value)
    return re.search(pattern, text) is not None


def load_json_document(path: Path, exact_ints: bool = False) -> Any:
    """Load a whole JSON file; an unreadable, too large or invalid file is an :class:`InputError`.

    ``exact_ints`` keeps integers wider than 64 bits exact (slower stdlib parser).
    The limits of :mod:`reverie.adapters._reading` apply.
    """
    data = read_document(path)
    try:
        return decode(data, exact_ints)
    except RejectedJSON as exc:
        raise InputError(str(exc), path) from exc
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", path) from exc


def iter_json_lines(
    path: Path, exact_ints: bool = False, invalid: str = "not valid JSON"
) -> Iterator[tuple[int, Any, str | None]]:
    """Stream a JSONL file: ``(line number, value, None)`` or ``(line number, None, reason)``.

    Blank lines are skipped; line numbers are 1-based. A line over
    ``LINE_LIMIT`` or nested deeper than ``DEPTH_LIMIT`` is set aside with
    its reason; ``invalid`` starts the reason of a line that is not JSON.
    """
    with open_regular(path) as fh:
        for lineno, raw, size in iter_lines(fh):
            if raw is None:
                limit = f"the {LINE_LIMIT // MB} MB line limit"
                yield lineno, None, f"line is {mb(size)}, over {limit}; set aside unread"
                continue
            if not raw.strip():
                continue
            try:
                yield lineno, decode(raw, exact_ints), None
            except RejectedJSON as exc:
                yield lineno, None, str(exc)
            except ValueError as exc:
                yield lineno, None, f"{invalid}: {exc}"


def is_jsonl(path: Path) -> bool:
    """Whether a file holds several JSON values, one per line (judged from its first line).

    A first line over the line limit, followed by more lines, counts as JSONL
    (the line is then set aside), not as a document to load whole.
    """
    with open_regular(path) as fh:
        try:
            _, first, _ = next(iter_lines(fh, at_once=False), (0, b"", 0))
            rest = fh.read(4096)
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}", path) from exc
    if not rest.strip():
        return False
    if first is None:
        return True
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return True


def parse_time(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from ISO text or epoch s / ms / us / ns; else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        for scale in (1.0, 1e3, 1e6, 1e9):
            if abs(number / scale) < 1e11:
                try:
                    return datetime.fromtimestamp(number / scale, tz=UTC)
                except (OverflowError, OSError, ValueError):
                    return None
        return None
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    return None


def to_int(value: Any) -> int | None:
    """An int from an int, a float with no fraction or a numeric string; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return int(number)


def to_float(value: Any) -> float | None:
    """A float from a number or a numeric string; else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def json_type(value: Any) -> str:
    """What a JSON value is, for error messages: ``an object``, ``a string``, ``null`` ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


def json_object(value: Any, what: str) -> dict[str, Any]:
    """``value`` when it is a JSON object; else a ``TypeError`` (one of :data:`SHAPE_ERRORS`).

    >>> json_object({"a": 1}, "usage")
    {'a': 1}
    >>> json_object([1], "usage")
    Traceback (most recent call last):
    TypeError: usage is an array, not an object
    """
    if not isinstance(value, dict):
        raise TypeError(f"{what} is {json_type(value)}, not an object")
    return value


def object_field(obj: dict[str, Any], key: str) -> dict[str, Any]:
    """``obj[key]`` when it is a JSON object; ``{}`` when it is absent or anything else."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def list_field(obj: dict[str, Any], key: str) -> list[Any]:
    """``obj[key]`` when it is a JSON array; ``[]`` when it is absent or anything else."""
    value = obj.get(key)
    return value if isinstance(value, list) else []


def as_text(content: Any) -> str:
    """Message content as plain text: a string, a list of blocks or parts, or anything else."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [as_text(part) for part in content]
        return "\n".join(p for p in parts if p)
    if isinstance(content, dict):
        for key in ("text", "content", "output", "value"):
            if key in content:
                return as_text(content[key])
        return orjson.dumps(content, default=str).decode()
    return str(content)


def parse_json_arg(value: Any) -> Any:
    """Tool arguments given as a JSON string are decoded; anything else is returned as is."""
    if isinstance(value, str):
        try:
            return decode(value.encode())
        except ValueError:  # not JSON, or nested too deep: kept as the text it is
            return value
    return value


def dotted(obj: Any, path: str) -> Any:
    """Follow a dotted path (``"message.role"``, list indexes as numbers); None when absent."""
    current = obj
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else None
        else:
            return None
        if current is None:
            return None
    return current


def resolve_agent(override: str | None, *candidates: str | None, default: str) -> str:
    """The caller's ``--agent`` if given, else the first non-empty candidate, else ``default``."""
    if override:
        return override
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return default


def tool_trust(tool: str | None) -> TrustClass:
    """Trust class of a tool's output: ``external`` for web fetch / search / browse tools."""
    if tool and _EXTERNAL_TOOL.search(tool):
        return "external"
    return "tool"


class EventList:
    """A session's events in order, each with a key unique within the session."""

    def __init__(self, file: str):
        self.file = file
        self.events: list[Event] = []
        self._keys: set[str] = set()

    def add(
        self,
        kind: EventKind,
        trust: TrustClass,
        line: int,
        key: str,
        *,
        role: Role | None = None,
        usage: Usage | None = None,
        **fields: Any,
    ) -> Event:
        """Append an event; a key already used gets a ``#n`` suffix."""
        unique, n = str(key), 1
        while unique in self._keys:
            n += 1
            unique = f"{key}#{n}"
        self._keys.add(unique)
        event = Event(
            kind=kind,
            trust=trust,
            source=SourceRef(file=self.file, line=max(0, line)),
            key=unique,
            role=role,
            usage=usage,
            **fields,
        )
        self.events.append(event)
        return event

    def __len__(self) -> int:
        return len(self.events)
