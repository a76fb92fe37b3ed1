"""A command group that imports a command's module only when the command is used.

``reverie --help`` lists every command from a static table (name, module,
summary) without importing the 16 command modules; running a command, or
asking for its own ``--help``, imports its module and builds it with the
module's ``register(app)``, as an eagerly built app would.
``tests/test_cli_shape.py`` checks that the table's summaries are the
commands' own first help paragraphs, so the listing is what it would be.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

__all__ = ["Entry", "LazyGroup", "load_commands", "summary"]


@dataclass(frozen=True)
class Entry:
    """A command in the static table: the module that registers it and its summary."""

    module: str
    summary: str


def summary(help_text: str | None) -> str:
    """The part of a command's help the group's listing shows: its first paragraph."""
    return inspect.cleandoc(help_text or "").partition("\f")[0].split("\n\n")[0].strip()


@cache
def load_commands(module: str) -> dict[str, Any]:
    """The commands ``module.register(app)`` adds, built once per process."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    importlib.import_module(module).register(app)
    return dict(typer.main.get_group(app).commands)


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands: the table's names first, each loaded on first access."""

    def __init__(self, entries: Mapping[str, Entry], built: Mapping[str, Any]) -> None:
        self.entries = entries
        self.built = dict(built)

    def loaded(self, name: str) -> bool:
        return name in self.built

    def __getitem__(self, name: str) -> Any:
        if name not in self.built:
            if name not in self.entries:
                raise KeyError(name)
            self.built[name] = load_commands(self.entries[name].module)[name]
        return self.built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        del self.built[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.entries
        yield from (name for name in self.built if name not in self.entries)

    def __len__(self) -> int:
        return len(set(self.entries) | set(self.built))

    def __contains__(self, name: object) -> bool:
        return name in self.entries or name in self.built


class LazyGroup(TyperGroup):
    """A typer group whose commands come from :attr:`entries`, imported when used.

    Only the group's own help listing uses the summaries (stub commands that
    cannot run); everything else (running a command, its ``--help``,
    ``get_command``, ``commands[name]``) gets the real command.
    """

    entries: ClassVar[Mapping[str, Entry]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.entries, self.commands)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        commands = self.commands
        if self._listing and isinstance(commands, LazyCommands) and not commands.loaded(cmd_name):
            entry = self.entries.get(cmd_name)
            if entry is not None:
                return TyperCommand(cmd_name, help=entry.summary)
        return commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
