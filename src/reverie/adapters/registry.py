"""Finding adapters (entry points) and picking one for a file (content sniffing)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from reverie.adapters._reading import BOM, open_regular
from reverie.adapters.base import Adapter
from reverie.errors import ConfigError, InputError, UnknownFormatError

__all__ = ["HEAD_BYTES", "adapters", "detect", "get_adapter", "read_head"]

GROUP = "reverie.adapters"
HEAD_BYTES = 64 * 1024
_MIN_SCORE = 0.5


@cache
def adapters() -> dict[str, Adapter]:
    """Every installed adapter by format name, built-ins and third parties alike."""
    found: dict[str, Adapter] = {}
    for ep in entry_points(group=GROUP):
        adapter = ep.load()
        found[ep.name] = adapter
    return dict(sorted(found.items()))


def get_adapter(name: str) -> Adapter:
    found = adapters()
    if name not in found:
        raise ConfigError(f"unknown format {name!r}; installed formats: {', '.join(found)}")
    return found[name]


def read_head(path: Path) -> bytes:
    """A file's first ``HEAD_BYTES`` (past a byte-order mark); unreadable is an InputError."""
    with open_regular(path) as fh:
        try:
            return fh.read(HEAD_BYTES)
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}", path) from exc


def detect(path: Path, head: bytes | None = None) -> Adapter:
    """The adapter whose ``sniff`` scores ``path`` highest; an error if none or a tie."""
    head = read_head(path) if head is None else head.removeprefix(BOM)
    scores = sorted(
        ((adapter.sniff(path, head), name) for name, adapter in adapters().items()),
        reverse=True,
    )
    tried = [name for _, name in sorted(scores, key=lambda s: s[1])]
    if not scores or scores[0][0] < _MIN_SCORE:
        raise UnknownFormatError("not a transcript in any known format", path, tried)
    if len(scores) > 1 and scores[1][0] == scores[0][0]:
        raise UnknownFormatError(
            f"ambiguous: looks like both {scores[0][1]} and {scores[1][1]}; pass --format",
            path,
            tried,
        )
    return adapters()[scores[0][1]]
