"""Which program a shell tool call ran: ``git push``, ``pytest``, ``mix format``.

Shell tools (``Bash``, ``execute_bash``, ``bash``, ``shell`` ...) carry a whole
command line. A signature is keyed by the program that failed, so
:func:`program_of` splits the command into its simple commands (``&&``,
``||``, ``;``, new lines; heredoc bodies dropped), ignores set-up steps
(``cd``, ``export``, ``source`` ...), unwraps runners (``sudo``, ``uv run``,
``npx``, ``python -m``) and names the program by its first word, plus the
subcommand for tools that have them (git, npm, mix, cargo, go, docker ...).
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
"""

from __future__ import annotations

import re
from typing import Any

import orjson

__all__ = ["command_of", "is_shell_tool", "program_of", "programs_of", "simple_commands"]

SHELL_TOOLS = frozenset(
    {
        "bash", "sh", "zsh", "shell", "execute_bash", "run_shell_command", "exec_command",
        "execute_command", "run_command", "terminal", "cmd", "powershell", "local_shell",
        "run_in_terminal", "bash_tool", "container.exec", "run",
    }
)
SUBCOMMAND_TOOLS = frozenset(
    {
        "git", "npm", "yarn", "pnpm", "bun", "mix", "cargo", "go", "docker", "docker-compose",
        "kubectl", "pip", "pip3", "poetry", "uv", "make", "gh", "bd", "bundle", "rake",
        "rails", "dotnet", "mvn", "gradle", "terraform", "helm", "apt", "apt-get", "brew",
        "conda", "deno", "composer", "rustup", "systemctl", "tmux", "hatch", "tox", "nox",
    }
)
_SETUP = frozenset(
    {"cd", "pushd", "popd", "export", "set", "unset", "source", ".", "echo", "true", "sleep",
     "printf", ":", "wait", "clear"}
)
_PREFIX = frozenset({"sudo", "time", "nohup", "exec", "command", "env", "nice", "xargs"})
_RUNNERS = {("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("bundle", "exec"),
            ("pnpm", "exec"), ("npm", "exec"), ("yarn", "dlx"), ("pnpm", "dlx")}
_SHELL_WORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
     "{", "}", "!", "[[", "]]"}
)
_EDIT_BLOCK = re.compile(r"^(\s*(?:edit|insert|append)\b[^\n]*)\n.*?^end_of_edit\s*$", re.S | re.M)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1[^\n]*\n.*?\n\s*\2\b", re.S)
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WORD = re.compile(r"^[a-z][a-z0-9._:-]*$")
_GIT_OPTS_WITH_ARG = frozenset({"-C", "-c", "--git-dir", "--work-tree"})


def is_shell_tool(tool: str | None) -> bool:
    """Whether ``tool`` names a shell tool (case-insensitive)."""
    return tool is not None and tool.lower() in SHELL_TOOLS


def command_of(tool_input: Any) -> str | None:
    """The command line of a shell tool call's input (a dict with ``command``/``cmd``,
    JSON text of one, or the bare command string)."""
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
    """Split a command line into simple commands (word lists); pipes keep their first part."""
    command = command.replace("\\\n", " ")
    if "end_of_edit" in command:
        command = _EDIT_BLOCK.sub(r"\1", command)
    if "<<" in command:
        command = _HEREDOC.sub(" ", command)
    out: list[list[str]] = []
    for segment in _split_top(command, ("&&", "||", ";", "\n")):
        first = _split_top(segment, ("|",))[0] if segment else segment
        words = _words(first)
        if words:
            out.append(words)
    return out


def program_of(command: str | None, output: str = "") -> str | None:
    """The program a command line ran (see the module docstring); ``None`` if it has none."""
    if not command:
        return None
    named = [p for p in (_program(words) for words in simple_commands(command)) if p]
    if not named:
        return None
    useful = [p for p in named if p.split()[0] not in _SETUP] or named
    if len(useful) > 1 and output:
        speaking = [(at, p) for p in useful if (at := _speaks(output, p)) is not None]
        if speaking:  # the first error line is the cause; later ones follow from it
            return min(speaking)[1]
        mentioned = [p for p in useful if _mentions(output, p)]
        if mentioned:
            return mentioned[-1]
    return useful[-1]


def programs_of(command: str | None) -> list[str]:
    """Every program a command line ran, in order, set-up steps left out.

    >>> programs_of("mix format --check-formatted; echo '---'; mix credo --strict | tail")
    ['mix format', 'mix credo']
    """
    if not command:
        return []
    named = [p for p in (_program(words) for words in simple_commands(command)) if p]
    return [p for p in named if p.split()[0] not in _SETUP]


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


def _program(words: list[str]) -> str | None:
    words = _strip_prefix(words)
    if not words:
        return None
    while words and words[0] in _SHELL_WORDS:
        words = words[1:]
    if not words:
        return None
    head = words[0].rsplit("/", 1)[-1]
    rest = words[1:]
    if head.startswith("python") and len(rest) >= 2 and rest[0] == "-m":
        return _program(rest[1:])
    if head in ("npx", "bunx", "pipx") and rest:
        return _program([w for w in rest if not w.startswith("-")])
    if head.startswith("python"):
        head = "python"
    sub = _subcommand(head, rest)
    if (head, sub) in _RUNNERS:
        return _program(rest[1:])
    if not _WORD.match(head):
        return None
    return f"{head} {sub}" if sub else head


def _subcommand(head: str, rest: list[str]) -> str | None:
    if head not in SUBCOMMAND_TOOLS:
        return None
    i = 0
    while i < len(rest):
        word = rest[i]
        if word in _GIT_OPTS_WITH_ARG:
            i += 2
            continue
        if word.startswith("-"):
            i += 1
            continue
        return word if _WORD.match(word) else None
    return None


def _strip_prefix(words: list[str]) -> list[str]:
    i = 0
    while i < len(words):
        word = words[i]
        if _ASSIGN.match(word) or word in _PREFIX:
            i += 1
        elif word == "timeout" and i + 1 < len(words):
            i += 2
        elif word.startswith("-") and i > 0 and words[i - 1] in _PREFIX:
            i += 1
        else:
            break
    return words[i:]


def _words(segment: str) -> list[str]:
    words: list[str] = []
    for raw in segment.strip().split():
        if raw[:1] in "<>" or raw[:2] in ("2>", "1>", "&>"):
            break
        words.append(raw.strip("'\"()"))
    return [w for w in words if w]


_TOKENS = re.compile(
    r"'[^']*'?|\"(?:\\.|[^\"\\])*\"?|`[^`]*`?|\$\(|\)|&&|\|\||;|\n|\||[^'\"`$)&|;\n]+|."
)


def _split_top(text: str, separators: tuple[str, ...]) -> list[str]:
    """Split ``text`` on separators that are outside quotes and ``$(...)``."""
    if not any(sep in text for sep in separators):
        return [text.strip()]
    parts: list[str] = []
    buf: list[str] = []
    depth = 0
    for tok in _TOKENS.findall(text):
        if tok == "$(":
            depth += 1
        elif tok == ")" and depth:
            depth -= 1
        elif depth == 0 and tok in separators:
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(tok)
    parts.append("".join(buf))
    return [p.strip() for p in parts if p.strip()] or [""]
