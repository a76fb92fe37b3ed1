"""Which program a shell tool call ran: ``git push``, ``pytest``, ``mix format``.

Shell tools (``Bash``, ``execute_bash``, ``bash``, ``shell`` ...) carry a whole
command line. A signature is keyed by the program that failed, so
:func:`program_of` reads the command as shell (:func:`reverie.mine.shell.parse`:
lists, pipelines, subshells, substitutions, ``bash -c`` scripts; heredoc bodies
dropped), ignores set-up steps (``cd``, ``export``, ``source`` ...), unwraps
runners (``sudo``, ``uv run``, ``npx``, ``python -m``, ``.venv/bin/``) and names
the program by its first word, plus the subcommand for tools that have them
(git, npm, mix, cargo, go, docker ...). A pipeline counts as its first program
(``pytest | tail``: pytest); a ``$(...)`` is named only when its error speaks.
When several commands remain, the first one the error output speaks for
(``javac: command not found``: the first error is the cause) wins, then the
last one whose subcommand it mentions, else the last one (with ``&&`` the
last one ran last).

>>> program_of("cd /repo && git add -A && git commit -m 'x'", "Pre-commit validation failed")
'git commit'
>>> program_of("FOO=1 uv run pytest -x tests/ 2>&1 | tail -5")
'pytest'
>>> program_of("mix phx.server 2>&1 | head -80")
'mix phx.server'
>>> program_of("python -m pip install -e .")
'pip install'
>>> program_of("edit 10:12\\n    return x\\nend_of_edit")
'edit'
>>> program_of("cat data.json | jq .name", "jq: error (at <stdin>:0): Cannot index array")
'jq'
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import orjson

from reverie.mine.shell import SimpleCommand, parse, script

__all__ = [
    "command_of",
    "commands_run",
    "is_shell_tool",
    "program_of",
    "programs_of",
    "simple_commands",
]

SHELL_TOOLS = frozenset(
    {
        "bash", "sh", "zsh", "shell", "execute_bash", "run_shell_command", "exec_command",
        "execute_command", "run_command", "terminal", "cmd", "powershell", "local_shell",
        "run_in_terminal", "bash_tool", "container.exec", "run",
    }
)
_NAME = re.compile(r"^[a-z][a-z0-9._:-]*$")
_CACHE_SIZE = 4096
_FILTERS = frozenset(
    {"head", "tail", "less", "more", "wc", "sort", "uniq", "tee", "cat", "column", "nl", "cut",
     "tr", "fold", "fmt"}
)
"""Pipeline stages that only page, count or copy the output before them: they never speak
for an error."""


def is_shell_tool(tool: str | None) -> bool:
    """Whether ``tool`` names a shell tool (case-insensitive)."""
    return tool is not None and tool.lower() in SHELL_TOOLS


def command_of(tool_input: Any) -> str | None:
    """The command line of a shell tool call's input (a dict with ``command``/``cmd``,
    JSON text of one, or the bare command string)."""
    if isinstance(tool_input, str):
        return _command_text(tool_input)  # calls repeat: their JSON is read once
    return _command_value(tool_input)


@lru_cache(maxsize=_CACHE_SIZE)
def _command_text(tool_input: str) -> str | None:
    return _command_value(tool_input)


def _command_value(tool_input: Any) -> str | None:
    if isinstance(tool_input, str):
        text = tool_input.strip()
        if text[:1] in "{\"[":
            try:
                tool_input = orjson.loads(text)
            except orjson.JSONDecodeError:
                return text or None
        else:
            return text or None
    if isinstance(tool_input, str):
        return tool_input.strip() or None
    if isinstance(tool_input, dict):
        for key in ("command", "cmd", "script", "code"):
            value = tool_input.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                return " ".join(value)
    return None


def simple_commands(command: str) -> list[list[str]]:
    """The words of each simple command, as written (assignments and wrappers included),
    unquoted, redirections dropped; a pipeline keeps its first command, ``$(...)`` is left
    inside the word that holds it.

    >>> simple_commands("cd /r && sudo make -j4 | tee log; bash -c 'npm test'")
    [['cd', '/r'], ['sudo', 'make', '-j4'], ['bash', '-c', 'npm test'], ['npm', 'test']]
    """
    return [list(c.argv) for c in parse(command) if c.connector != "|" and not c.substitution]


def program_of(command: str | None, output: str = "") -> str | None:
    """The program a command line ran (see the module docstring); ``None`` if it has none."""
    named = _named(command)
    if not named:
        return None
    useful = _ran(named) or [c for c in named if not c.substitution]
    if output:
        speakers = [c for c in named if not (c.setup or c.head in _FILTERS or _wraps(c))]
        if len({c.program for c in (*useful, *speakers)}) > 1:
            found = _speaker(output, speakers)
            if found is not None:
                return found
            mentioned = [c.program for c in useful if _mentions(output, c.program)]
            if mentioned:
                return mentioned[-1]
    return useful[-1].program


def programs_of(command: str | None) -> list[str]:
    """Every program a command line ran, in order, set-up steps left out.

    >>> programs_of("mix format --check-formatted; echo '---'; mix credo --strict | tail")
    ['mix format', 'mix credo']
    >>> programs_of("(cd web && npm ci) && bash -c 'npm test' && git push $(git remote)")
    ['npm ci', 'npm test', 'git push']
    """
    return [c.program for c in _ran(_named(command))]


def commands_run(command: str | None) -> list[SimpleCommand]:
    """The programs a command line ran, as :class:`~reverie.mine.shell.SimpleCommand`:
    outside substitutions, set-up steps left out, a pipeline as its first program, nothing
    for prose sent as a command.

    >>> [c.program for c in commands_run("cd x && npx tsc --noEmit | tee log")]
    ['tsc']
    >>> commands_run("The fix is to run `name` first")
    []
    """
    return _ran(_named(command))


def _named(command: str | None) -> list[SimpleCommand]:
    """The commands that name a program (not ``$VAR``); none when the line does not start
    with one (prose such as ``The issue is in `elif` ...``: bash would fail on it)."""
    if not command:
        return []
    commands = parse(command)
    first = next((c for c in commands if not c.substitution), None)
    if first is None or not _NAME.match(first.head):
        return []
    return [c for c in commands if _NAME.match(c.head)]


def _ran(commands: list[SimpleCommand]) -> list[SimpleCommand]:
    """The programs run outside substitutions, set-up steps left out, a pipeline counted as
    its first such one, a ``bash -c`` as the programs of its script."""
    out = []
    previous: dict[tuple[int, bool], SimpleCommand] = {}
    for cmd in commands:
        before = previous.get((cmd.depth, cmd.substitution))
        previous[(cmd.depth, cmd.substitution)] = cmd
        if cmd.setup or cmd.substitution:
            continue
        if cmd.connector == "|" and before is not None and not before.setup:
            continue
        out.append(cmd)
    return [c for c in out if not _wraps(c)] or out


def _wraps(cmd: SimpleCommand) -> bool:
    """Whether ``cmd`` is a ``bash -c`` whose script ran commands (parsed after it)."""
    inner = script(cmd)
    return inner is not None and bool(parse(inner))


def _speaker(output: str, commands: list[SimpleCommand]) -> str | None:
    """The program with the first line in the output. Several with one name speak there
    (``make clean && make``: ``make: *** [build] Error 2``): the last whose subcommand the
    output mentions, else the first."""
    places = ((_speaks(output, c.program), i) for i, c in enumerate(commands))
    found = [(at, i) for at, i in places if at is not None]
    if not found:
        return None
    first = min(found)[0]
    tied = [commands[i].program for at, i in sorted(found) if at == first]
    mentioned = [p for p in tied if _mentions(output, p)]
    return mentioned[-1] if mentioned else tied[0]


def _speaks(output: str, program: str) -> int | None:
    """Where the output first has a line the program (or the shell about it) wrote:
    ``javac: ...``; None if nowhere.

    >>> _speaks("bash: line 1: javac: command not found", "java") is None
    True
    >>> _speaks("bash: line 1: javac: command not found", "javac")
    13
    """
    head = re.escape(program.split()[0])
    found = re.search(r"(?:^|[\s/])" + head + r": ", output, re.M)
    return None if found is None else found.start()


def _mentions(output: str, program: str) -> bool:
    word = program.split()[-1]
    return re.search(r"\b" + re.escape(word) + r"\b", output, re.I) is not None
