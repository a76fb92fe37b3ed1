"""The adapter interface: one transcript format in, sessions of events out.

An adapter is any object with a ``name``, a ``sniff`` that scores how likely a
file is in its format (from the file's first bytes, never its name), and a
``parse`` that streams the file and yields :class:`~reverie.models.ParsedSession`
objects and :class:`~reverie.models.Malformed` notes for lines it set aside.

Built-in adapters and third-party ones register the same way, through the
``reverie.adapters`` entry-point group::

    [project.entry-points."reverie.adapters"]
    my-format = "my_package.my_module:ADAPTER"
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from reverie.models import Malformed, ParsedSession

__all__ = ["Adapter", "AdapterOptions", "ParseItem"]

ParseItem = ParsedSession | Malformed


class AdapterOptions(BaseModel):
    """What the caller tells an adapter: an agent name that overrides the derived one."""

    model_config = ConfigDict(extra="forbid")

    agent: str | None = None
    mapping_file: Path | None = None


@runtime_checkable
class Adapter(Protocol):
    """A transcript format."""

    name: str
    description: str

    def sniff(self, path: Path, head: bytes) -> float:
        """Return 0.0 (not this format) to 1.0 (certainly this format) from the first bytes."""
        ...

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        """Stream ``path``; yield sessions and notes about malformed lines.

        Raises :class:`~reverie.errors.InputError` when the file as a whole is
        not in this format.
        """
        ...
