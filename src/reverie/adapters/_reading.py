"""Reading transcript files defensively: regular files only, bounded lines and values.

Every built-in adapter reads files through these helpers, so a hostile or
broken file costs one per-file error or one set-aside line, never a hang, a
crash or a memory spike. The limits (documented in ``docs/formats.md``,
"Limits"):

=====================  ===================================================================
``LINE_LIMIT``         16 MB: a longer JSONL line is set aside unread (it is measured in
                       1 MB chunks and skipped, never held whole)
``DOCUMENT_LIMIT``     256 MB: a larger single-JSON-document file is an error
``DEPTH_LIMIT``        100: a value nested deeper (arrays and objects) is set aside
``FIELD_LIMIT``        1,000,000 characters: a longer string is cut there and marked
=====================  ===================================================================

Only regular files are opened, and without blocking: a FIFO, socket, device
or folder under a transcript's name is refused by what it is (a FIFO would
otherwise block the ingest forever). A UTF-8 byte-order mark at the start of
a file is skipped. (MB here is 2**20 bytes.)
"""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from reverie.errors import InputError

__all__ = [
    "BOM",
    "DEPTH_LIMIT",
    "DOCUMENT_LIMIT",
    "FIELD_LIMIT",
    "LINE_LIMIT",
    "MB",
    "RejectedJSON",
    "cap_text",
    "decode",
    "file_kind",
    "iter_lines",
    "mb",
    "open_regular",
    "read_document",
    "read_neighbour",
]

MB = 1 << 20
LINE_LIMIT = 16 * MB
DOCUMENT_LIMIT = 256 * MB
DEPTH_LIMIT = 100
FIELD_LIMIT = 1_000_000
BOM = b"\xef\xbb\xbf"
_CHUNK = MB
_WHOLE = 16 * MB  # a file up to this size is read at once and split into lines in memory
_NOT_OPENING = bytes(b for b in range(256) if b not in b"[{")  # deleted to count brackets
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class RejectedJSON(ValueError):
    """A JSON value that parses but breaks a limit (nested deeper than ``DEPTH_LIMIT``)."""


def mb(size: int) -> str:
    """A byte count in MB with one decimal.

    >>> mb(50 * MB)
    '50.0 MB'
    """
    return f"{size / MB:.1f} MB"


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words (``"a FIFO (named pipe)"``)."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for binary reading, past a UTF-8 byte-order mark.

    The open never blocks (``O_NONBLOCK``, then checked with ``fstat``): a FIFO
    or any other non-regular file is an :class:`InputError` saying what it is,
    as is any OS error (permissions, a symlink loop, a dangling symlink).
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path) from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(
                f"not a regular file but {file_kind(mode)}; only regular files are read", path
            )
        if _NONBLOCK:
            os.set_blocking(fd, True)
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    if fh.read(len(BOM)) != BOM:
        fh.seek(0)
    return fh


def iter_lines(
    fh: BinaryIO, limit: int = LINE_LIMIT, at_once: bool = True
) -> Iterator[tuple[int, bytes | None, int]]:
    """``(line number, line, size in bytes)``; the line is None when it is over ``limit``.

    A line longer than one chunk is first measured (chunk by chunk, nothing
    kept) and then read whole only if it is within the limit, so an over-long
    line never sits in memory. Line numbers are 1-based. With ``at_once``, a
    file no larger than the limit (and 16 MB) is read in one call and split in
    memory (faster; the file is then at its end whatever was consumed); without
    it, the file is left just past the last line taken.
    """
    lineno = 0
    whole = _whole(fh, limit) if at_once else None
    if whole is not None:  # no line of it can be over the limit: split in memory
        for raw in io.BytesIO(whole):
            lineno += 1
            yield lineno, raw, len(raw)
        return
    while True:
        raw = fh.readline(_CHUNK)
        if not raw:
            return
        lineno += 1
        if len(raw) < _CHUNK or raw.endswith(b"\n"):  # the whole line, at most one chunk
            yield lineno, raw if len(raw) <= limit else None, len(raw)
            continue
        size = len(raw)
        start = fh.tell() - size
        del raw
        while chunk := fh.readline(_CHUNK):
            size += len(chunk)
            if chunk.endswith(b"\n"):
                break
        if size > limit:
            yield lineno, None, size
            continue
        fh.seek(start)
        yield lineno, fh.read(size), size  # which leaves the file at the next line


def _whole(fh: BinaryIO, limit: int) -> bytes | None:
    """The rest of the file when it is at most ``limit`` bytes (then no line is over it).

    None (and the file where it was) for a larger file, or one whose size
    cannot be told: it is read line by line.
    """
    try:
        start = fh.tell()
        size = os.fstat(fh.fileno()).st_size
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None
    if size - start > min(limit, _WHOLE):
        return None
    data = fh.read(min(limit, _WHOLE) + 1)
    if len(data) > min(limit, _WHOLE):  # it grew while being read
        fh.seek(start)
        return None
    return data


def read_document(
    path: Path,
    limit: int = DOCUMENT_LIMIT,
    what: str = "one JSON document (split it, or write it as JSONL: one record per line)",
) -> bytes:
    """A whole file's bytes (past a byte-order mark); a file over ``limit`` is an InputError."""
    with open_regular(path) as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}", path) from exc
        if len(data) > limit:
            size = max(len(data), os.fstat(fh.fileno()).st_size)
            raise InputError(
                f"file is {mb(size)}, over the {limit // MB} MB limit for {what}", path
            )
        return data


def read_neighbour(path: Path, limit: int = DOCUMENT_LIMIT) -> bytes | None:
    """A neighbouring file an adapter consults (``metadata.json``, a report), or None.

    None when it is missing, unreadable, not a regular file or over ``limit``:
    a neighbour only adds detail, so it never fails the transcript.
    """
    try:
        return read_document(path, limit)
    except (InputError, OSError):
        return None


def _police(value: Any) -> Any:
    """Reject ``value`` if nested deeper than ``DEPTH_LIMIT``; cut strings over ``FIELD_LIMIT``.

    Walks iteratively (no recursion), changing lists and dicts in place.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > DEPTH_LIMIT:
            raise RejectedJSON(
                f"nested deeper than {DEPTH_LIMIT} levels (arrays and objects); set aside"
            )
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            elif isinstance(child, str) and len(child) > FIELD_LIMIT:
                node[key] = cap_text(child)
    if isinstance(value, str) and len(value) > FIELD_LIMIT:
        return cap_text(value)
    return value


def cap_text(text: str) -> str:
    """``text`` cut to ``FIELD_LIMIT`` characters, the last of them a marker saying so.

    Text within the limit (a cut text too) comes back as it is.
    """
    if len(text) <= FIELD_LIMIT:
        return text
    marker = (
        f"\n[... cut by reverie: {len(text):,} characters, "
        f"over the {FIELD_LIMIT:,}-character field limit]"
    )
    return text[: FIELD_LIMIT - len(marker)] + marker


def decode(raw: bytes, exact_ints: bool = False) -> Any:
    """Parse JSON bytes within the limits; a ``ValueError`` says what is wrong.

    Invalid JSON raises ``orjson.JSONDecodeError``; a value nested deeper than
    ``DEPTH_LIMIT`` raises :class:`RejectedJSON`; strings longer than
    ``FIELD_LIMIT`` come back cut (:func:`cap_text`). ``exact_ints`` keeps
    integers wider than 64 bits exact (the slower stdlib parser).
    """
    try:
        value = _exact_loads(raw) if exact_ints else orjson.loads(raw)
    except RecursionError as exc:
        raise RejectedJSON(f"nested deeper than {DEPTH_LIMIT} levels; set aside") from exc
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise RejectedJSON(f"nested deeper than {DEPTH_LIMIT} levels; set aside") from exc
        raise
    # Only a value with more brackets than the depth limit can be too deep, and
    # only a value longer than the field limit can hold a string over it.
    brackets = len(raw.translate(None, _NOT_OPENING))  # one pass: the [ and { it holds
    if brackets > DEPTH_LIMIT or len(raw) > FIELD_LIMIT:
        if isinstance(value, dict | list):
            return _police(value)
        if isinstance(value, str):
            return cap_text(value)
    return value


def _exact_loads(data: bytes) -> Any:
    """Like ``orjson.loads`` but integers wider than 64 bits stay exact (OTel SDK ids)."""
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise orjson.JSONDecodeError(str(exc), "", 0) from exc
