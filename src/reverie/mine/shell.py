"""Shell command lines read as shell: the simple commands, their wrappers, program and flags.

A shell tool call carries a whole command line. :func:`parse` reads it with a
real shell grammar (tree-sitter-bash: error-tolerant, so broken input yields
what parsed and never raises) and returns every simple command in execution
order: lists (``&&``, ``||``, ``;``, new lines, ``&``), pipelines left to right,
subshells, ``{ ...; }`` groups, loop, ``if`` and ``case`` bodies, function
bodies, ``$(...)`` and ``<(...)`` substitutions (before the command that uses
them) and the script of ``bash -c "..."``. Heredoc bodies, comments and the
body of SWE-agent's ``edit``/``insert`` blocks are dropped.

Each :class:`SimpleCommand` separates what is written around a program from the
program itself: leading ``VAR=x`` assignments (``env``), wrappers (``launcher``:
``sudo``, ``npx``, ``python -m``, ``uv run``, ``timeout 30``, a path such as
``.venv/bin/``), the program (``program``: its name, plus the subcommand for
tools that have one) and its options (``flags``).

>>> [(c.program, c.connector, c.depth) for c in parse("cd /repo && FOO=1 uv run pytest -x | tail")]
[('cd', None, 0), ('pytest', '&&', 0), ('tail', '|', 0)]
>>> cmd = parse("sudo -E python -m pip install -e .")[0]
>>> cmd.launcher, cmd.program, cmd.args, cmd.flags
(('sudo', '-E', 'python', '-m'), 'pip install', ('-e', '.'), ('-e',))
>>> [invocation(c) for c in parse("npx tsc --noEmit; .venv/bin/pytest -k 'not slow'")]
['npx tsc --noEmit', '.venv/bin/pytest -k']
>>> [(c.program, c.depth) for c in parse('bash -c "make test && make lint"')]
[('bash', 0), ('make test', 1), ('make lint', 1)]
>>> parse(')(')
[]
"""

from __future__ import annotations

import re
import shlex
import threading
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

__all__ = [
    "INSTALLS",
    "SETUP",
    "SUBCOMMAND_TOOLS",
    "SimpleCommand",
    "invocation",
    "parse",
    "script",
]

SETUP = frozenset(
    {"cd", "pushd", "popd", "export", "set", "unset", "source", ".", "echo", "true", "sleep",
     "printf", ":", "wait", "clear", "local", "declare", "readonly", "typeset", "shopt", "trap",
     "alias", "ulimit", "umask", "read", "exec", "test", "[", "[[", "exit", "return",
     "break", "continue", "shift"}
)
"""Heads of set-up steps: built-ins that prepare, print or check, and run no program."""

_SIMPLE = frozenset({"command", "declaration_command", "unset_command", "test_command"})
_SEQUENCES = frozenset(
    {"program", "list", "pipeline", "redirected_statement", "negated_command", "do_group",
     "else_clause", "elif_clause", "case_item", "heredoc_redirect", "function_definition",
     "ERROR"}
)
_NESTED = frozenset(
    {"subshell", "compound_statement", "for_statement", "c_style_for_statement",
     "while_statement", "if_statement", "case_statement"}
)
_CHAINS = frozenset({"list", "pipeline"})
_SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})
_SKIPPED = frozenset({"heredoc_body", "comment", "heredoc_start", "heredoc_end"})
_OPERATORS = {"&&": "&&", "||": "||", ";": ";", "|": "|", "|&": "|", "&": "&",
              ";;": ";", ";&": ";", ";;&": ";"}
_REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
_SCRIPT_FLAG = re.compile(r"^-[a-zA-Z]*c[a-zA-Z]*$")
_EDIT_BLOCK = re.compile(
    r"^(\s*(?:edit|insert|append)\b[^\n]*)\n.*?^end_of_(?:edit|insert)[ \t]*$", re.S | re.M
)
_CACHE_SIZE = 4096
_BLANK = re.compile(r"\s")
_local = threading.local()


@dataclass(frozen=True)
class SimpleCommand:
    """One simple command of a command line (see the module docstring)."""

    text: str
    """The source slice of this simple command, as written (trailing redirections apart)."""
    words: tuple[str, ...]
    """The argv after env assignments and wrappers, unquoted; redirections dropped.
    ``words[0]`` is the program as written (``.venv/bin/pytest``)."""
    env: tuple[str, ...]
    """Leading ``VAR=value`` assignments, as written (also those after ``env`` or ``sudo``)."""
    launcher: tuple[str, ...]
    """The wrappers stripped, in order, as written: ``("sudo", "-E")``, ``("python", "-m")``,
    ``("timeout", "30")``; a path the program was run by ends with ``/`` (``".venv/bin/"``)."""
    head: str
    """The program's name: the basename of ``words[0]``; ``python3.11`` is ``python``."""
    program: str
    """``head`` plus the subcommand for tools that have one (``git push``, ``mix credo``)."""
    args: tuple[str, ...]
    """The words after the program (and after its subcommand)."""
    flags: tuple[str, ...]
    """The args that are options (``-u``, ``--strict``, ``--opt=value``), up to a ``--``."""
    connector: str | None
    """The operator joining it to the previous command (``&&``, ``||``, ``;``, ``|``,
    ``\\n``, ``&``); None for the first. The first command of a block, subshell or
    substitution carries the operator before that block."""
    depth: int
    """0 at top level; +1 per enclosing subshell, group, loop, ``if``/``case``, function body,
    substitution or ``bash -c`` script."""
    setup: bool
    """A set-up step (``cd``, ``export``, ``echo``, ``[ ... ]`` ...: see :data:`SETUP`), not run
    by a path (``./test`` is a program)."""
    substitution: bool = False
    """Inside ``$(...)``, backquotes or ``<(...)``: it computes a word of another command."""
    argv: tuple[str, ...] = ()
    """Every word as written (env assignments and wrappers included), unquoted."""


def parse(command: str) -> list[SimpleCommand]:
    """Every simple command of ``command``, in execution order; never raises.

    >>> [c.words for c in parse("git commit -m \\"fix: it's done\\" && git push -u origin HEAD")]
    [('git', 'commit', '-m', "fix: it's done"), ('git', 'push', '-u', 'origin', 'HEAD')]
    >>> [c.program for c in parse("cat <<'EOF' > a.py\\nprint('x')\\nEOF\\npython a.py")]
    ['cat', 'python']
    >>> [(c.program, c.connector) for c in parse("edit 10:12\\n    return x\\nend_of_edit")]
    [('edit', None)]
    """
    return list(_parse(command))


def invocation(cmd: SimpleCommand) -> str:
    """Launcher, program and flags, as a person would write the command back.

    A flag keeps the value that follows it when that value is a plain word
    (``--format short``, ``-n 3``): without it the command would not run.
    Paths, quoted text and other arguments are left out.

    >>> invocation(parse("timeout 30 cargo test --release -- --nocapture")[0])
    'timeout 30 cargo test --release'
    >>> invocation(parse("git push --force origin main")[0])
    'git push --force'
    >>> invocation(parse("git log --format='%H %s' -n 3")[0])
    "git log '--format=%H %s' -n 3"
    >>> invocation(parse("mix credo --strict lib/a.ex")[0])
    'mix credo --strict'
    >>> invocation(parse("pip install -q requests")[0])
    'pip install -q requests'
    """
    words = [*map(_quoted, cmd.launcher), cmd.program, *map(_quoted, _flags_with_values(cmd))]
    if cmd.program in INSTALLS:  # what is installed is the point: `pip install requests`
        named = [a for a in cmd.args if a not in cmd.flags and _PLAIN_VALUE.match(a)][:3]
        words += [a for a in named if a not in words]
    out = ""
    for part in words:
        out += part if not out or out.endswith("/") else " " + part
    return out


INSTALLS = frozenset(
    {"apt-get install", "apt install", "yum install", "dnf install", "apk add", "brew install",
     "pip install", "pip3 install", "npm install", "yarn add", "pnpm add", "conda install",
     "gem install", "cargo install", "go install", "uv add", "poetry add", "bundle add"}
)
"""Programs whose arguments name what they install: an invocation keeps them."""


_SWITCHES = frozenset(
    {"--force", "-f", "--force-with-lease", "--strict", "-q", "--quiet", "-v", "--verbose",
     "-y", "--yes", "--no-verify", "--dry-run", "--all", "-a", "--hard", "--soft", "-r", "-R",
     "-rf", "-fr", "--recursive", "--check", "--fix", "--release", "-x", "--exitfirst", "-s",
     "--global", "-g", "--save", "--save-dev", "-D", "-E", "-i", "-p", "--amend", "--no-edit",
     "--set-upstream", "-u", "--update", "--upgrade", "-U", "--help", "-h", "--version"}
)
"""Flags that take no value: the word after one is an argument, not its value."""
_PLAIN_VALUE = re.compile(r"^[\w][\w.:+-]*$")


def _flags_with_values(cmd: SimpleCommand) -> list[str]:
    out: list[str] = []
    args = list(cmd.args)
    for i, arg in enumerate(args):
        if arg not in cmd.flags:
            continue
        out.append(arg)
        nxt = args[i + 1] if i + 1 < len(args) else None
        if (
            nxt is not None and "=" not in arg and arg != "--" and nxt not in cmd.flags
            and arg not in _SWITCHES and _PLAIN_VALUE.match(nxt)
        ):
            out.append(nxt)
    return out


def _quoted(word: str) -> str:
    return shlex.quote(word) if _BLANK.search(word) else word


_PLAIN_LINE = re.compile(r"[\w./:-]+(?: [\w./:-]+)*", re.A)
"""A line of plain words: no quote, expansion, operator, redirection, glob, assignment,
``@`` or ``+`` (which the grammar reads as more than letters next to some others)."""
_NOT_PLAIN = frozenset(
    {"if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do",
     "done", "in", "function", "time", "coproc", "export", "declare", "local", "readonly",
     "typeset", "unset", "unsetenv"}
)
"""Words the grammar reads as more than a word: reserved words, declarations."""


@lru_cache(maxsize=_CACHE_SIZE)
def _parse(command: str) -> tuple[SimpleCommand, ...]:
    plain = _plain(command)
    return plain if plain is not None else _read(command)


def _read(command: str) -> tuple[SimpleCommand, ...]:
    """The simple commands of ``command`` as the grammar reads them."""
    if "end_of_" in command:
        command = _EDIT_BLOCK.sub(r"\1", command)
    walker = _Walker()
    with suppress(RecursionError):  # hundreds of nested substitutions: keep what was read
        walker.source(command, 0, False, None)
    out = walker.out
    if out and out[0].connector is not None:
        out[0] = replace(out[0], connector=None)
    return tuple(out)


def _plain(command: str) -> tuple[SimpleCommand, ...] | None:
    """The one simple command of a line of plain words (``tool42 --run``, ``git status``),
    taken without the grammar, as :func:`_read` takes it (the words split at single
    spaces), in less than half the time; ``None`` for any other line, or one that runs
    a script (``bash -c make``).

    >>> [c.program for c in _plain("git push -u origin main")], _plain("a | b")
    (['git push'], None)
    """
    if not _PLAIN_LINE.fullmatch(command):
        return None
    argv = command.split(" ")
    if not _NOT_PLAIN.isdisjoint(argv):
        return None
    cmd = _command(command, [], argv, None, 0, False)
    return None if script(cmd) is not None else (cmd,)


def _parser() -> Parser:
    parser: Parser | None = getattr(_local, "parser", None)
    if parser is None:  # created on first use: importing reverie does not load the grammar
        import tree_sitter
        import tree_sitter_bash

        parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
        _local.parser = parser
    return parser


class _Walker:
    """Walks a syntax tree and collects its simple commands into ``out``."""

    def __init__(self) -> None:
        self.out: list[SimpleCommand] = []

    def source(self, text: str, depth: int, sub: bool, connector: str | None) -> None:
        tree = _parser().parse(text.encode("utf-8", "surrogatepass"))
        self.walk(tree.root_node, depth, sub, connector)

    def walk(self, node: Node, depth: int, sub: bool, connector: str | None) -> bool:
        """Collect the commands under ``node``; whether there were any."""
        kind = node.type
        if kind in _SIMPLE:
            return self.simple(node, depth, sub, connector)
        if kind in _SKIPPED:
            return False
        if kind in _SUBSTITUTIONS:
            return self.sequence(node, depth + 1, True, connector)
        if kind in _NESTED:
            return self.sequence(node, depth + 1, sub, connector)
        if kind in _SEQUENCES:
            return self.sequence(node, depth, sub, connector)
        return self.scan(node, depth, sub, connector)

    def sequence(self, node: Node, depth: int, sub: bool, connector: str | None) -> bool:
        emitted = False
        pending = connector
        for child in _children(node):
            if child.type in _OPERATORS and not child.is_named:
                pending = _OPERATORS[child.type]
            elif child.is_named:
                joined = "\n" if pending is None and emitted else pending
                if self.walk(child, depth, sub, joined):
                    emitted, pending = True, None
        return emitted

    def scan(self, node: Node, depth: int, sub: bool, connector: str | None) -> bool:
        """Collect the substitutions inside a word, an assignment or a redirection."""
        emitted = False
        for child in node.named_children:
            if child.type in _SUBSTITUTIONS:
                emitted = self.walk(child, depth, sub, connector) or emitted
            elif child.type not in _SKIPPED:
                emitted = self.scan(child, depth, sub, connector) or emitted
        return emitted

    def simple(self, node: Node, depth: int, sub: bool, connector: str | None) -> bool:
        self.scan(node, depth, sub, connector)  # substitutions run before the command
        env, argv = _words_of(node)
        if not argv or not argv[0]:
            return False
        cmd = _command(_text(node), env, argv, connector, depth, sub)
        self.out.append(cmd)
        inner = script(cmd)
        if inner is not None:
            self.source(inner, depth + 1, sub, connector)
        return True


def _children(node: Node) -> list[Node]:
    """A node's children; a chain of ``a && b && c`` or ``a | b | c`` (nested to the left)
    as one flat list, so long chains need no deep recursion."""
    chain = []
    while node.type in _CHAINS and node.children and node.children[0].type == node.type:
        chain.append(node)
        node = node.children[0]
    children = list(node.children)
    for parent in reversed(chain):
        children.extend(parent.children[1:])
    return children


def _words_of(node: Node) -> tuple[list[str], list[str]]:
    """The leading assignments and the words of a simple command node."""
    if node.type == "test_command":
        return [], _text(node).split()
    env: list[str] = []
    argv: list[str] = []
    if node.type != "command" and node.children:
        argv.append(_text(node.children[0]))  # export, local, unset ...
    for child in node.named_children:
        if child.type == "variable_assignment" and node.type == "command":
            env.append(_text(child))
        elif child.type == "command_name":
            argv.append(_node_word(child.named_children[0]) if child.named_children else "")
        elif child.type not in _REDIRECTS and child.type != "comment":
            argv.append(_node_word(child))
    return env, argv


def _command(
    text: str, env: list[str], argv: list[str], connector: str | None, depth: int, sub: bool
) -> SimpleCommand:
    more_env, launcher, words = _unwrap(argv)
    head, program, args = _split_program(words)
    flags = _flags(args)
    return SimpleCommand(
        text=text, words=tuple(words), env=(*env, *more_env), launcher=tuple(launcher),
        head=head, program=program, args=tuple(args), flags=flags, connector=connector,
        depth=depth, setup=head in SETUP and "/" not in words[0], substitution=sub,
        argv=(*env, *argv),
    )


def _flags(args: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("-") and len(arg) > 1:
            out.append(arg)
    return tuple(out)


def script(cmd: SimpleCommand) -> str | None:
    """The script of ``bash -c "..."`` (``-lc``, ``-ec`` ... too), else None; :func:`parse`
    reads its commands too.

    >>> script(parse("bash -lc 'make test'")[0])
    'make test'
    """
    if cmd.head not in _SHELLS:
        return None
    args = cmd.args
    for i, arg in enumerate(args[:-1]):
        if _SCRIPT_FLAG.match(arg):
            return args[i + 1]
        if not arg.startswith("-"):
            return None
    return None


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


# -- words ------------------------------------------------------------------------------------

_ESCAPED = re.compile(r"\\(.)", re.S)
_ESCAPED_IN_QUOTES = re.compile(r"\\([$`\"\\\n])")


def _node_word(node: Node) -> str:
    """The word a node stands for, unquoted (``'a b'`` and ``"a b"`` are ``a b``).

    Expansions and substitutions are kept as written: they are not evaluated.
    """
    kind = node.type
    text = _text(node)
    if kind == "word":
        return _ESCAPED.sub(_unescape, text) if "\\" in text else text
    if kind == "raw_string":
        return text[1:-1] if len(text) > 1 and text.endswith("'") else text[1:]
    if kind in ("string", "translated_string"):
        inner = text[text.index('"') + 1:] if '"' in text else text
        closed = node.children and node.children[-1].type == '"' and node.children[-1].text
        inner = inner[:-1] if closed else inner
        return _ESCAPED_IN_QUOTES.sub(_unescape, inner)
    if kind == "ansi_c_string":
        return text[2:-1] if len(text) > 2 and text.endswith("'") else text[2:]
    if kind == "concatenation":
        return "".join(_node_word(c) if c.is_named else _text(c) for c in node.children)
    return text


def _unescape(found: re.Match[str]) -> str:
    return "" if found.group(1) == "\n" else found.group(1)


# -- wrappers ---------------------------------------------------------------------------------

_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON = re.compile(r"^python[0-9.]*$")
_DURATION = re.compile(r"^\d+(?:\.\d+)?[smhd]?$")
_WRAPPERS: dict[str, frozenset[str]] = {  # a wrapper -> its options that take a value
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "--user",
                       "--group", "--chdir", "--prompt", "--close-from"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "exec": frozenset({"-a"}),
    "command": frozenset(),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "--class", "--classdata"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "xargs": frozenset({"-I", "-i", "-n", "-P", "-L", "-l", "-d", "-E", "-e", "-s", "-a",
                        "--max-args", "--max-procs", "--delimiter", "--arg-file"}),
    "npx": frozenset({"-p", "--package", "-c", "--call"}),
    "pnpx": frozenset({"-p", "--package"}),
    "bunx": frozenset({"-p", "--package"}),
    "uvx": frozenset({"--from", "--with", "--python", "-p", "--with-requirements", "--index"}),
}
_RUNNERS: dict[tuple[str, str], frozenset[str]] = {  # a runner's two words -> value options
    ("uv", "run"): frozenset({"--with", "--python", "-p", "--project", "--directory", "--extra",
                              "--group", "--package", "--env-file", "--with-requirements",
                              "--index", "--only-group"}),
    ("poetry", "run"): frozenset(),
    ("pipenv", "run"): frozenset(),
    ("pdm", "run"): frozenset(),
    ("hatch", "run"): frozenset(),
    ("rye", "run"): frozenset(),
    ("pixi", "run"): frozenset({"-e", "--environment", "--manifest-path"}),
    ("conda", "run"): frozenset({"-n", "-p", "--name", "--prefix", "--cwd"}),
    ("mamba", "run"): frozenset({"-n", "-p", "--name", "--prefix", "--cwd"}),
    ("micromamba", "run"): frozenset({"-n", "-p", "--name", "--prefix", "--cwd"}),
    ("pipx", "run"): frozenset({"--spec", "--python"}),
    ("bundle", "exec"): frozenset(),
    ("npm", "exec"): frozenset({"-p", "--package", "-c", "--call", "-w", "--workspace"}),
    ("pnpm", "exec"): frozenset({"-C", "--dir", "--filter", "-F"}),
    ("yarn", "exec"): frozenset(),
    ("yarn", "dlx"): frozenset({"-p", "--package"}),
    ("pnpm", "dlx"): frozenset({"-p", "--package"}),
}
_PYTHON_VALUE_OPTS = frozenset({"-W", "-X", "--check-hash-based-pycs"})
_PROBES = frozenset({"-v", "-V"})  # ``command -v x`` looks x up, it does not run it


def _unwrap(argv: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Split ``argv`` into assignments, wrappers and the program's own words.

    >>> _unwrap(["sudo", "-u", "me", "FOO=1", "timeout", "-s", "KILL", "30", "make"])
    (['FOO=1'], ['sudo', '-u', 'me', 'timeout', '-s', 'KILL', '30'], ['make'])
    >>> _unwrap([".venv/bin/python", "-u", "-m", "pytest", "-x"])
    ([], ['.venv/bin/python', '-u', '-m'], ['pytest', '-x'])
    >>> _unwrap(["./node_modules/.bin/jest", "--ci"])
    ([], ['./node_modules/.bin/'], ['./node_modules/.bin/jest', '--ci'])
    """
    env: list[str] = []
    launcher: list[str] = []
    i = 0
    while i < len(argv):
        if _ASSIGN.match(argv[i]):
            env.append(argv[i])
            i += 1
            continue
        span = _wrapper_span(argv, i)
        if not span:
            break
        launcher.extend(argv[i:i + span])
        i += span
    words = argv[i:]
    if not words:  # ``env FOO=1``, ``sudo -v``: the wrapper is the program
        return [], [], argv
    if "/" in words[0].rstrip("/"):
        launcher.append(words[0][: words[0].rstrip("/").rindex("/") + 1])
    return env, launcher, words


def _wrapper_span(argv: list[str], i: int) -> int:
    """How many words the wrapper at ``argv[i]`` spans; 0 if it is not one (or wraps nothing)."""
    name = _basename(argv[i])
    nxt = argv[i + 1] if i + 1 < len(argv) else ""
    if name in _WRAPPERS:
        if name == "command" and nxt in _PROBES:
            return 0
        end = _skip_options(argv, i + 1, _WRAPPERS[name])
        if name == "timeout":
            end = end + 1 if end < len(argv) and _DURATION.match(argv[end]) else len(argv)
    elif (name, nxt) in _RUNNERS:
        end = _skip_options(argv, i + 2, _RUNNERS[(name, nxt)])
    elif _PYTHON.match(name):
        end = _skip_options(argv, i + 1, _PYTHON_VALUE_OPTS, stop="-m")
        if end >= len(argv) or argv[end] != "-m":
            return 0
        end += 1
    else:
        return 0
    return end - i if end < len(argv) else 0


def _skip_options(argv: list[str], i: int, with_value: frozenset[str], stop: str = "") -> int:
    """The index of the first word after the options starting at ``argv[i]``."""
    while i < len(argv) and argv[i].startswith("-") and argv[i] not in ("-", stop):
        if argv[i] == "--":
            return i + 1
        i += 2 if argv[i] in with_value else 1
    return i


def _basename(word: str) -> str:
    return word.rstrip("/").rsplit("/", 1)[-1]


# -- program and subcommand -------------------------------------------------------------------

SUBCOMMAND_TOOLS = frozenset(
    {
        "git", "npm", "yarn", "pnpm", "bun", "mix", "cargo", "go", "docker", "docker-compose",
        "kubectl", "pip", "pip3", "poetry", "uv", "make", "gh", "bd", "bundle", "rake",
        "rails", "dotnet", "mvn", "gradle", "terraform", "helm", "apt", "apt-get", "brew",
        "conda", "deno", "composer", "rustup", "systemctl", "tmux", "hatch", "tox", "nox",
        "service",
    }
)
"""Tools whose program name includes the subcommand: ``git push``, ``mix credo``."""

_SUBCOMMAND = re.compile(r"^[a-z][a-z0-9._:-]*$")
_COMMON_VALUE_OPTS = frozenset({"-C", "-c", "--git-dir", "--work-tree"})
_GLOBAL_VALUE_OPTS: dict[str, frozenset[str]] = {  # options before a subcommand that take a value
    "make": frozenset({"-f", "--file", "--directory", "-I", "-o", "-W", "-j"}),
    "docker": frozenset({"-H", "--host", "--context", "--config", "-l", "--log-level"}),
    "docker-compose": frozenset({"-f", "--file", "-p", "--project-name", "--env-file",
                                 "--profile"}),
    "kubectl": frozenset({"-n", "--namespace", "--context", "--kubeconfig", "-s", "--server",
                          "--cluster", "--user"}),
    "helm": frozenset({"-n", "--namespace", "--kube-context", "--kubeconfig"}),
    "npm": frozenset({"--prefix", "-w", "--workspace"}),
    "pnpm": frozenset({"--dir", "--filter", "-F"}),
    "yarn": frozenset({"--cwd"}),
    "cargo": frozenset({"--manifest-path", "--config", "-Z"}),
    "mvn": frozenset({"-f", "--file", "-pl", "--projects", "-s", "--settings", "-P", "-T",
                      "--threads", "-rf", "--resume-from", "-gs", "-t"}),
    "gradle": frozenset({"-p", "--project-dir", "-b", "--build-file", "-g", "-x",
                         "--exclude-task"}),
    "poetry": frozenset({"--directory", "-P", "--project"}),
    "uv": frozenset({"--directory", "--project", "--cache-dir"}),
    "gh": frozenset({"-R", "--repo"}),
    "tox": frozenset({"-e", "--conf"}),
    "nox": frozenset({"-s", "--session", "-f", "--noxfile", "-e"}),
    "apt": frozenset({"-o", "-t"}),
    "apt-get": frozenset({"-o", "-t"}),
}


def _split_program(words: list[str]) -> tuple[str, str, list[str]]:
    """The head, the program name and the args of a command's words (wrappers removed).

    >>> _split_program(["git", "-C", "repo", "push", "-u", "origin"])
    ('git', 'git push', ['-u', 'origin'])
    >>> _split_program(["python3.11", "a.py"])
    ('python', 'python', ['a.py'])
    >>> _split_program(["kubectl", "-n", "prod", "get", "pods"])
    ('kubectl', 'kubectl get', ['pods'])
    """
    if not words:
        return "", "", []
    head = _basename(words[0])
    if _PYTHON.match(head):
        head = "python"
    at = _subcommand_at(head, words) if head in SUBCOMMAND_TOOLS else None
    if at is None:
        return head, head, words[1:]
    return head, f"{head} {words[at]}", words[at + 1:]


def _subcommand_at(head: str, words: list[str]) -> int | None:
    with_value = _COMMON_VALUE_OPTS | _GLOBAL_VALUE_OPTS.get(head, frozenset())
    i = 1
    while i < len(words):
        word = words[i]
        if word in with_value:
            i += 2
        elif word.startswith(("-", "+")):  # an option, or a toolchain (cargo +nightly)
            i += 1
        else:
            return i if _SUBCOMMAND.match(word) else None
    return None
