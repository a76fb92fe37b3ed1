"""docs/cli.md, written from the commands' own ``--help``.

Regenerate it after changing a command, an option or a help text::

    python -m reverie.cli.docs > docs/cli.md

``tests/test_cli_shape.py`` fails while docs/cli.md differs from what this
prints. The help is rendered as a terminal of :data:`WIDTH` columns would show
it, without colour, so the text does not depend on the terminal it runs in.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from typer.testing import CliRunner

from reverie.cli.exits import EXIT_CODES, EXTRAS
from reverie.cli.root import app

__all__ = ["WIDTH", "cli_markdown", "command_paths", "help_text"]

WIDTH = 100
REGENERATE = "python -m reverie.cli.docs > docs/cli.md"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group, in ``--help`` order: ``()`` (reverie itself), ``("rules",)``,
    ``("rules", "list")``, ..."""
    import typer.main

    found: list[tuple[str, ...]] = []

    def walk(group: object, prefix: tuple[str, ...]) -> None:
        found.append(prefix)
        ctx = None  # list_commands/get_command of typer groups do not read the context
        for name in group.list_commands(ctx):  # type: ignore[attr-defined]
            command = group.get_command(ctx, name)  # type: ignore[attr-defined]
            if hasattr(command, "list_commands"):
                walk(command, (*prefix, name))
            else:
                found.append((*prefix, name))

    walk(typer.main.get_command(app), ())
    return found


@contextmanager
def _plain_terminal() -> Iterator[None]:
    """Help as a ``WIDTH``-column terminal without colour shows it, whatever this one is."""
    import typer.rich_utils as rich_utils

    saved = {name: getattr(rich_utils, name, None) for name in ("MAX_WIDTH", "FORCE_TERMINAL")}
    rich_utils.MAX_WIDTH, rich_utils.FORCE_TERMINAL = WIDTH, False
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(rich_utils, name, value)


def help_text(path: tuple[str, ...]) -> str:
    """``reverie PATH --help`` as plain text: no colour, no trailing spaces."""
    env = {"COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb", "TERMINAL_WIDTH": str(WIDTH)}
    with _plain_terminal():
        result = CliRunner().invoke(app, [*path, "--help"], env=env, prog_name="reverie")
    if result.exit_code != 0:
        raise RuntimeError(f"reverie {' '.join(path)} --help failed: {result.output}")
    lines = [line.rstrip() for line in _ANSI.sub("", result.stdout).splitlines()]
    return "\n".join(lines).strip("\n")


def _anchor(path: tuple[str, ...]) -> str:
    """GitHub's anchor of the heading ``## `reverie PATH` ``."""
    return "-".join(("reverie", *path))


def _exit_code_table() -> list[str]:
    rows = ["| exception (reverie.errors) | exit code |", "|---|---|"]
    rows += [f"| `{kind.__name__}` | {code} |" for kind, code in EXIT_CODES]
    extras = [
        f"- `{package}`: `pip install 'reverie[{extra}]'`" for package, (extra, _) in EXTRAS.items()
    ]
    return [
        "Every command ends at one error boundary (`reverie.cli.exits`): a `ReverieError`",
        "prints `error: MESSAGE` once on stderr and exits with the code of the first row",
        "its class matches. What each code means is in [`reverie --help`](#reverie).",
        "",
        *rows,
        "",
        "A missing optional package exits 2 and names the extra that installs it:",
        "",
        *extras,
        "",
        "Any other exception is a bug: it is not caught, and Python prints its traceback.",
    ]


def cli_markdown() -> str:
    """The whole of docs/cli.md."""
    paths = command_paths()
    out = [
        "# The `reverie` command line",
        "",
        f"<!-- Generated from `--help` by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "`-w/--workspace DIR` goes before the command (`reverie -w DIR ingest ...`, like",
        "`git -C`) or after it; after it wins.",
        "",
        "- [Exit codes](#exit-codes)",
        *(f"- [`reverie {' '.join(p)}`](#{_anchor(p)})" for p in paths if p),
        "",
        "## Exit codes",
        "",
        *_exit_code_table(),
    ]
    for path in paths:
        title = " ".join(("reverie", *path))
        out += ["", f"## `{title}`", ""]
        out += ["```text", help_text(path), "```"]
    return "\n".join(out) + "\n"


def main() -> None:
    sys.stdout.write(cli_markdown())


if __name__ == "__main__":
    main()
