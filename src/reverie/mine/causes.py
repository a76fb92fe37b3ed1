"""A failure's root cause, read from its text, so one cause is one motif across programs.

:func:`cause_of` reads a failure's output line by line; the first line that
names a cause wins (later errors usually follow from it), and every later
line with the same cause adds its subject (``javac`` then ``java`` in one
output of ``javac X.java && java X``):

======================  ==============================================================
kind                    the text says
======================  ==============================================================
``missing_command``     ``X: command not found`` (also ``sudo: X: ...``, zsh's
                        ``command not found: X``, dash's ``sh: 1: X: not found``,
                        ``'X' is not recognized ...``, ``env: 'X': No such file ...``,
                        ``Command 'X' not found``, ``which: no X in (...)``)
``missing_env``         ``VAR is not set``, ``VAR is not defined correctly``,
                        ``VAR is set to an invalid directory``, ``environment variable
                        VAR is not set`` (not JavaScript's ``X is not defined``)
``missing_toolchain``   either of the two above, naming a program or variable of
                        :data:`TOOLCHAINS`: the toolchain is the cause
``missing_module``      ``No module named 'x'``, ``Cannot find module 'x'``, ``cannot
                        load such file -- x``, ``cannot find package "x"``
``missing_file``        ``No such file or directory`` / ``ENOENT`` with the path named
``connection_refused``  ``Connection refused``, ``ECONNREFUSED``, ``could not connect to
                        server``, ``Cannot connect to the Docker daemon``
``permission_denied``   ``Permission denied``, ``EACCES`` with the path named
======================  ==============================================================

``bash: X: No such file or directory`` where ``X`` is the program being run
(``program`` or ``tool``) is a ``missing_command`` when ``X`` is a bare name,
and a ``missing_file`` when it is a path: ``./gradlew`` missing means the
project has no Gradle wrapper there, not that the JDK is missing (where the
wrapper exists and no JDK is installed, it says ``JAVA_HOME is not set``).
A "command" that is prose the agent sent to the shell (``DISCUSSION``,
``The``: it starts with a capital) or ends with a dot (``find.``, a typo) is
no missing program: no cause.

Failures share a cause when their :func:`cause_key` is equal: kind and
toolchain, kind and top-level module, or kind and the one subject (a command
outside every toolchain, a file, a variable, an endpoint).

>>> cause_of("/bin/bash: line 12: javac: command not found", "javac", "bash")
Cause(kind='missing_toolchain', group='java', subjects=['javac'])
>>> cause_of("sudo: systemctl: command not found", "systemctl restart", "bash")
Cause(kind='missing_command', group=None, subjects=['systemctl'])
>>> cause_of("/bin/bash: line 9: DISCUSSION: command not found", None, "bash") is None
True
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from reverie.mine.facts import Cause
from reverie.models import Failure

__all__ = ["TOOLCHAINS", "CauseTally", "cause_key", "cause_of", "signature_causes"]

TOOLCHAINS: dict[str, tuple[str, ...]] = {
    "java": ("java", "javac", "jar", "jshell", "mvn", "mvnw", "gradle", "gradlew", "ant",
             "JAVA_HOME"),
    "node": ("node", "nodejs", "npm", "npx", "yarn", "pnpm", "corepack"),
    "python": ("python", "python3", "pip", "pip3"),
    "rust": ("cargo", "rustc", "rustup", "CARGO_HOME"),
    "go": ("go", "gofmt", "GOROOT", "GOPATH"),
    "ruby": ("ruby", "gem", "bundle", "bundler", "irb"),
    "dotnet": ("dotnet", "msbuild", "DOTNET_ROOT"),
    "php": ("php", "composer"),
    "elixir": ("elixir", "elixirc", "mix", "iex", "erl"),
    "c": ("gcc", "g++", "cc", "c++", "clang", "clang++"),
}
"""Programs and variables of one toolchain: a missing one means the toolchain is missing."""
_TOOLCHAIN_OF = {name: group for group, names in TOOLCHAINS.items() for name in names}

_COMMAND = tuple(
    re.compile(p)
    for p in (
        r"(?:^|\s)(?:\S+: )?(?:line \d+: )?([^\s:'\"]+): command not found\s*$",
        r"\bcommand not found: (\S+)\s*$",
        r"^\S*sh: \d+: ([^\s:]+): not found\s*$",
        r"^'([^']+)' is not recognized as an internal or external command",
        r"The term '([^']+)' is not recognized as the name of a cmdlet",
        r"\benv: ['‘]?([^\s'’:]+)['’]?: No such file or directory",
        r"^Command '([^']+)' not found\b",
        r"^which: no (\S+) in \(",
        r"\bno '([^']+)' command could be found in your PATH",
    )
)
_ENV = (
    re.compile(r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{4,}) (?:environment variable is not "
               r"(?:set|defined)|is (?:not set|not defined correctly|set to an invalid dir))"),
    re.compile(r"\benvironment variable:? ['\"`$]?([A-Z][A-Z0-9_]+)['\"`]? (?:is )?not set"),
)
_MODULE = (
    re.compile(r"\bNo module named ['\"]?([\w.]+)"),
    re.compile(r"\bCannot find module ['\"]([^'\"]+)['\"]"),
    re.compile(r"\bcannot load such file -- (\S+)"),
    re.compile(r"\bcannot find package \"([^\"]+)\""),
    re.compile(r"\bno required module provides package (\S+?);?(?:\s|$)"),
)
_Q = r"['\"‘`]([^'\"’`]+)['\"’`]"
_FILE = (
    re.compile(r"^\S*sh: (?:line \d+: )?([^\s:]+): No such file or directory"),
    re.compile(r"\bcannot (?:access|stat|remove|open) " + _Q + r".*No such file", re.I),
    re.compile(r"\bcan't open file " + _Q),
    re.compile(r"No such file or directory: " + _Q),
    re.compile(r"\bENOENT: no such file or directory, \w+ " + _Q),
    re.compile(r"\bcannot open (\S+) \(No such file or directory\)"),
    re.compile(r"^[\w.+-]+: " + _Q + r": No such file or directory"),
    re.compile(r"^(?:[\w.+/-]+: )?([^\s:]+): No such file or directory"),
)
_REFUSED = re.compile(r"Connection refused|ECONNREFUSED|could not connect to server|"
                      r"Cannot connect to the Docker daemon", re.I)
_ENDPOINT = (
    re.compile(r"Cannot connect to the (Docker daemon)"),
    re.compile(r"Failed to connect to (\S+) port (\d+)"),
    re.compile(r"host \"([^\"]+)\".*?port (\d+)"),
    re.compile(r"server at \"([^\"]+)\".*?port (\d+)"),
    re.compile(r"(?<![\w.])(localhost|\d{1,3}(?:\.\d{1,3}){3}|\[?::1\]?|[a-z][\w.-]*\.\w+):(\d{2,5})\b"),
)
_LOOPBACK = {"127.0.0.1", "::1", "[::1]", "0.0.0.0", "localhost"}
_DENIED = re.compile(r"Permission denied|EACCES|Operation not permitted", re.I)
_DENIED_PATH = (
    re.compile(r"\bEACCES: permission denied, \w+ " + _Q, re.I),
    re.compile(r"Permission denied: " + _Q),
    re.compile(r"\bcannot (?:open|create|remove|access) " + _Q + r".*Permission denied", re.I),
    re.compile(r"^(?:\S*sh: )?(?:line \d+: )?([^\s:]+): Permission denied"),
)
_PROGRAM = re.compile(r"^(?:[\w.+-]*/)*[a-z0-9_][\w.+-]*$")


def _program_like(word: str) -> bool:
    """A name a program could have: not prose (``DISCUSSION``, ``The``), not ``find.``."""
    return word in _TOOLCHAIN_OF or (_PROGRAM.match(word) is not None and not word.endswith("."))


def _endpoint(line: str) -> str | None:
    for pattern in _ENDPOINT:
        found = pattern.search(line)
        if found:
            if found.lastindex == 1:
                return found.group(1)
            host = "localhost" if found.group(1) in _LOOPBACK else found.group(1)
            return f"{host}:{found.group(2)}"
    return None


def _ran(path: str, program: str | None, tool: str | None) -> bool:
    """Whether ``path`` is the program being run (``./gradlew`` for program ``gradlew``)."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    names = {w.rsplit("/", 1)[-1] for w in [*(program or "").split()[:1], tool or ""] if w}
    return base in names


def _line_causes(line: str, program: str | None, tool: str | None) -> list[Cause]:
    """The causes one line names, first the decisive one (the kinds in the module docstring)."""
    found = [_missing("missing_env", m.group(1)) for p in _ENV for m in p.finditer(line)]
    for pattern in _COMMAND:
        hit = pattern.search(line)
        if hit:
            word = hit.group(1)
            if not _program_like(word):
                return found  # prose sent to the shell, or a typo
            found.append(_missing("missing_command", word))
    if found:
        return found
    other = _other_cause(line, program, tool)
    return [other] if other is not None else []


def _other_cause(line: str, program: str | None, tool: str | None) -> Cause | None:
    """A missing module or file, a refused connection, a denied permission."""
    for pattern in _MODULE:
        found = pattern.search(line)
        if found:
            name = found.group(1)
            if name.startswith((".", "/")):
                return Cause(kind="missing_file", subjects=[name])
            return Cause(kind="missing_module", group=_package(name), subjects=[name])
    if "No such file" in line or "ENOENT" in line:
        for pattern in _FILE:
            found = pattern.search(line)
            if found:
                path = found.group(1)
                if "/" not in path and _ran(path, program, tool) and _program_like(path):
                    return _missing("missing_command", path)  # a bare name that was run
                return Cause(kind="missing_file", subjects=[path])
    if _REFUSED.search(line):
        where = _endpoint(line)
        return Cause(kind="connection_refused", subjects=[where] if where else [])
    if _DENIED.search(line):
        for pattern in _DENIED_PATH:
            found = pattern.search(line)
            if found:
                return Cause(kind="permission_denied", subjects=[found.group(1)])
        return Cause(kind="permission_denied")
    return None


def _package(module: str) -> str:
    """The top-level package of a module: ``numpy`` of ``numpy.core``, ``@scope/pkg``."""
    if module.startswith("@"):
        return "/".join(module.split("/")[:2])
    return re.split(r"[./]", module)[0]


def _missing(kind: str, name: str) -> Cause:
    group = _TOOLCHAIN_OF.get(name.rsplit("/", 1)[-1] if kind == "missing_command" else name)
    if group is not None:
        return Cause(kind="missing_toolchain", group=group, subjects=[name])
    return Cause(kind=kind, subjects=[name])


_ANY = re.compile(
    r"not found|not recognized|No such file|ENOENT|not set|not defined|invalid directory|"
    r"No module|Cannot find module|cannot load such file|cannot find package|no required module|"
    r"refused|ECONNREFUSED|could not connect|Cannot connect|ermission denied|EACCES|"
    r"not permitted|which: no ",
    re.I,
)
_SKIPPED_KINDS = frozenset({"correction", "interruption", "rejection", "failed_outcome"})


def cause_of(text: str, program: str | None = None, tool: str | None = None) -> Cause | None:
    """The root cause a failure's text names, or ``None`` (see the module docstring).

    ``program`` and ``tool`` name what was run: ``bash: X: No such file or
    directory`` is a missing command when ``X`` is that program.

    >>> cause_of("./run_tests.sh: line 2: javac: command not found\\n"
    ...          "./run_tests.sh: line 3: java: command not found", "run_tests.sh", "bash")
    Cause(kind='missing_toolchain', group='java', subjects=['javac', 'java'])
    >>> cause_of("ERROR: JAVA_HOME is not set and no 'java' command could be found in your PATH.")
    Cause(kind='missing_toolchain', group='java', subjects=['JAVA_HOME', 'java'])
    >>> cause_of("/bin/bash: line 804: ./gradlew: No such file or directory", "gradlew", "bash")
    Cause(kind='missing_file', group=None, subjects=['./gradlew'])
    >>> cause_of("ModuleNotFoundError: No module named 'numpy.core'")
    Cause(kind='missing_module', group='numpy', subjects=['numpy.core'])
    >>> cause_of("psql: error: could not connect to server: Connection refused\\n"
    ...          '\\tIs the server running on host "127.0.0.1" and accepting\\n'
    ...          "\\tTCP/IP connections on port 5432?")
    Cause(kind='connection_refused', group=None, subjects=['localhost:5432'])
    >>> cause_of("3 failed, 10 passed") is None
    True
    """
    if not _ANY.search(text):
        return None
    first: Cause | None = None
    key: tuple[str, str] | None = None
    subjects: list[str] = []
    lines = text.splitlines()
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or not _ANY.search(line):
            continue
        for cause in _line_causes(line, program, tool):
            if cause.kind == "connection_refused" and not cause.subjects:
                where = _endpoint(" ".join(lines[i : i + 3]))
                cause = Cause(kind="connection_refused", subjects=[where] if where else [])
            if first is None:
                first, key = cause, cause_key(cause)
            elif key is None or cause_key(cause) != key:
                continue
            subjects += [s for s in cause.subjects if s not in subjects]
    return None if first is None else first.model_copy(update={"subjects": subjects})


def cause_key(cause: Cause) -> tuple[str, str] | None:
    """What failures must share to have one cause: the kind and the group or the one subject.

    >>> cause_key(Cause(kind="missing_toolchain", group="java", subjects=["javac", "mvn"]))
    ('missing_toolchain', 'java')
    >>> cause_key(Cause(kind="missing_command", subjects=["systemctl"]))
    ('missing_command', 'systemctl')
    >>> cause_key(Cause(kind="permission_denied")) is None
    True
    """
    if cause.group:
        return (cause.kind, cause.group)
    if len(cause.subjects) == 1:
        return (cause.kind, cause.subjects[0])
    return None


@dataclass
class CauseTally:
    """One cause's key and how many failures named each subject (several signatures add up)."""

    kind: str
    group: str | None
    key: tuple[str, str]
    subjects: Counter[str] = field(default_factory=Counter)

    def add(self, other: CauseTally) -> None:
        """Count ``other``'s subjects too (same key)."""
        self.subjects.update(other.subjects)

    def cause(self) -> Cause:
        """The :class:`Cause`, its subjects most frequent first (ties by name)."""
        ranked = sorted(self.subjects.items(), key=lambda kv: (-kv[1], kv[0]))
        return Cause(kind=self.kind, group=self.group, subjects=[s for s, _ in ranked])


def signature_causes(failures: Iterable[Failure]) -> dict[str, CauseTally]:
    """The cause of each signature whose every failure names the same cause (by key).

    A signature with one failure of another cause, or of none, has no cause:
    its template hides which command or file failed, so it is not merged.
    User turns, rejections and failed outcomes have no cause.

    >>> mk = lambda i, s, text: Failure(id=i, tenant="t", event_id=i, session_id=i, agent="a",
    ...     kind="tool_error", detector="is_error", tool="bash", text=text, signature_id=s)
    >>> tallies = signature_causes([
    ...     mk("1", "s1", "bash: javac: command not found"),
    ...     mk("2", "s1", "bash: javac: command not found\\nbash: java: command not found"),
    ...     mk("3", "s2", "bash: mvn: command not found"),
    ...     mk("4", "s2", "Step: command not found")])
    >>> sorted(tallies), tallies["s1"].cause().subjects
    (['s1'], ['javac', 'java'])
    """
    tallies: dict[str, CauseTally] = {}
    broken: set[str] = set()
    for f in failures:
        sid = f.signature_id
        if sid is None or sid in broken:
            continue
        cause = None if f.kind in _SKIPPED_KINDS else cause_of(f.text, f.program, f.tool)
        key = cause_key(cause) if cause is not None else None
        tally = tallies.get(sid)
        if cause is None or key is None or (tally is not None and tally.key != key):
            broken.add(sid)
            tallies.pop(sid, None)
        elif tally is None:
            tallies[sid] = CauseTally(cause.kind, cause.group, key, Counter(cause.subjects))
        else:
            tally.subjects.update(cause.subjects)
    return tallies
