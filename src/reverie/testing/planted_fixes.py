"""Corpora with one planted fix of each class, built in memory, for tests and benchmarks.

Issue 13 asks that every kind of fix mining must understand be planted in a
generated corpus: a program run first (in the same call, in an earlier call),
another invocation run instead, a flag, a changed argument, another tool, a
user's correction; and the cases that must *not* count as a fix: a retry that
timed out, a retry that ended in a shell syntax error, no consistent fix at
all; plus a destructive fix. :data:`CASES` lists them (the list of
``tests/rules/gold/README.md``, "Planted cases for the generated corpora"),
each with the fix class its motif must get.

:func:`fix_sessions` yields Claude-Code-like :class:`~reverie.models.ParsedSession`
objects (deterministic for a seed). Session ``i`` carries every case ``j``
with ``j % 3 == i % 3``, so with 12 sessions each case is in 4 sessions of 4
agents. Every variable part of a planted failure (tags, branches, paths,
numbers, names) changes with every occurrence, so only normalization groups
them. Unrelated successful calls open each session; the cases follow one
another, those that end in a failure last, so that nothing unrelated can pass
for a fix of a failure nothing fixed. :func:`write_fix_corpus` writes such a
corpus straight into a store.

>>> sessions = list(fix_sessions(sessions=12, seed=1))
>>> len(sessions), len({s.session.agent for s in sessions})
(12, 4)
>>> sorted(planted_in(12)["docker-login"])
[0, 3, 6, 9]
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reverie.ingest.provenance import link_session, source_id
from reverie.models import ParsedSession, Session, TrustClass, Usage
from reverie.store.base import GraphStore, SourceState
from reverie.testing.planted import AGENTS, _Builder

__all__ = ["CASES", "FixCase", "fix_sessions", "planted_in", "write_fix_corpus"]

_WORDS = ("alder", "birch", "cobalt", "dune", "flint", "heron", "jade", "larch", "moss", "opal")


@dataclass(frozen=True)
class FixCase:
    """One planted case: where it fails, the fix class its motif must get, and how it ends."""

    name: str
    cls: str  # the fix class (reverie.mine.facts.FixClass) its motif's facts must have
    tool: str
    program: str | None  # the failed program (shell tools), else None
    marker: str  # a phrase of the failure the motif's template keeps
    destructive: bool = False
    ends_failed: bool = False  # the case ends in a failure nothing fixed


CASES = (
    FixCase("docker-login", "ran_first", "Bash", "docker push", "requested access"),
    FixCase("mix-format", "ran_first", "Bash", "git commit", "not formatted"),
    FixCase("npx-tsc", "ran_instead", "Bash", "tsc", "command not found"),
    FixCase("credo-strict", "flag", "Bash", "mix credo", "--strict"),
    FixCase("ticket-status", "argument", "update_ticket", None, "must be one of"),
    FixCase("webfetch-gh-api", "other_tool", "WebFetch", None, "status code"),
    FixCase("no-push-to-main", "user", "Bash", "git push", "doesn't want to proceed"),
    FixCase("make-test-timeout", "none", "Bash", "make test", "FAILED", ends_failed=True),
    FixCase("psql-syntax-error", "none", "Bash", "psql", "Connection refused", ends_failed=True),
    FixCase("create-exists", "ran_first", "Bash", "create", "already exists", destructive=True),
    FixCase("pytest-no-fix", "none", "Bash", "pytest", "AssertionError", ends_failed=True),
    FixCase("read-glob-path", "argument", "Read", None, "File does not exist"),
)
"""The planted cases: the gold README's list (1 to 11), then an argument set from another
call's output (``Read`` of a path ``Glob`` printed)."""


class _Session(_Builder):
    """Appends the events of one session with unique keys, source lines and times
    (:class:`reverie.testing.planted._Builder`), with parallel calls and exit codes."""

    def calls(self, *calls: tuple[str, object, str, dict[str, object]]) -> None:
        """One assistant turn with ``(tool, input, output, result fields)`` calls run in
        parallel: all the calls, then their results in the same order."""
        self.add(
            kind="message",
            role="assistant",
            trust="agent",
            text="Working on it.",
            usage=Usage(input_tokens=self.rng.randint(50, 400), output_tokens=40),
        )
        first = len(self.events)
        for i, (tool, tool_input, _, _) in enumerate(calls):
            self.add(
                kind="tool_call",
                role="assistant",
                trust="agent",
                tool=tool,
                tool_input=tool_input,
                call_id=f"c{first}.{i}",
            )
        for i, (tool, _, output, fields) in enumerate(calls):
            self.add(
                kind="tool_result",
                role="user",
                trust=fields.pop("trust", "tool"),
                tool=tool,
                text=output,
                call_id=f"c{first}.{i}",
                **fields,
            )

    def call(
        self,
        tool: str,
        tool_input: object,
        output: str,
        *,
        exit_code: int | None = None,
        trust: TrustClass = "tool",
        is_error: bool | None = None,
    ) -> None:
        """One call and its result; an exit code other than 0 makes it an error, as
        Claude Code prints it ("Exit code N" first)."""
        failed = exit_code not in (None, 0)
        text = f"Exit code {exit_code}\n{output}" if failed else output
        error = failed if is_error is None else is_error
        self.calls(
            (tool, tool_input, text, {"exit_code": exit_code, "is_error": error, "trust": trust})
        )

    def bash(
        self,
        command: str,
        output: str,
        exit_code: int | None = None,
        *,
        is_error: bool | None = None,
    ) -> None:
        self.call(
            "Bash", {"command": command, "description": "run"}, output,
            exit_code=exit_code, is_error=is_error,
        )

    def user(self, text: str) -> None:
        self.add(kind="message", role="user", trust="user", text=text)


def _docker_login(s: _Session, n: int, w: str, k: int) -> None:
    image = f"registry.example.com/{w}-app:1.{n % 40}.{n % 9}"
    s.bash(
        f"docker push {image}",
        f"The push refers to repository [registry.example.com/{w}-app]\n"
        f"{n:08x}: Preparing\ndenied: requested access to the resource is denied",
        1,
    )
    s.bash(
        f"docker login registry.example.com && docker push {image}",
        f"Login Succeeded\n1.{n % 40}.{n % 9}: digest: sha256:{n:064x} size: {n % 3000}",
    )


def _mix_format(s: _Session, n: int, w: str, k: int) -> None:
    commit = f'git commit -m "Add {w} handler ({n})"'
    s.bash(
        commit,
        "Pre-commit validation failed:\n\n[FORMAT] Code is not formatted.\n"
        "Run 'mix format' to fix.\n\nFix these issues before committing.",
        1,
    )
    s.bash("mix format", "")
    s.bash(commit, f"[feat/{w}-{n} {n:07x}] Add {w} handler ({n})\n {n % 9 + 1} files changed")


def _npx_tsc(s: _Session, n: int, w: str, k: int) -> None:
    s.bash(f"tsc --noEmit -p packages/{w}{n}", "/bin/bash: line 1: tsc: command not found", 127)
    s.bash(f"npx tsc --noEmit -p packages/{w}{n}", "")


def _credo_strict(s: _Session, n: int, w: str, k: int) -> None:
    s.bash(
        f"mix credo lib/{w}_{n}.ex",
        f"Checking {n % 90 + 2} source files ...\n"
        "** (Mix) This project runs Credo with --strict (see .credo.exs)",
        1,
    )
    s.bash(
        f"mix credo --strict lib/{w}_{n}.ex",
        f"Checking {n % 90 + 2} source files ...\nAnalysis took 0.{n % 97} seconds\n"
        f"{n % 300 + 5} mods/funs, found no issues.",
    )


def _ticket_status(s: _Session, n: int, w: str, k: int) -> None:
    ticket = f"T-{n}"
    s.call(
        "update_ticket",
        {"ticket_id": ticket, "status": "resolved"},
        "Error: status must be one of open, pending, closed",
        is_error=True,
    )
    s.call(
        "update_ticket",
        {"ticket_id": ticket, "status": "closed"},
        f"Ticket {ticket} updated: status closed",
    )


def _webfetch_gh_api(s: _Session, n: int, w: str, k: int) -> None:
    repo = f"acme/{w}-{n}"
    s.call(
        "WebFetch",
        {
            "url": f"https://github.com/{repo}/blob/main/README.md",
            "prompt": "Summarize the install steps",
        },
        "Request failed with status code 429",
        is_error=True,
        trust="external",
    )
    s.bash(
        f"gh api repos/{repo}/contents/README.md --jq .content | base64 -d",
        f"# {w}-{n}\n\nInstall with `make install`.",
    )


def _no_push_to_main(s: _Session, n: int, w: str, k: int) -> None:
    sibling = "<tool_use_error>Sibling tool call errored</tool_use_error>"
    rejected = (
        "The user doesn't want to proceed with this tool use. The tool use was "
        "rejected (eg. if it was a file edit, the new_string was NOT written to the "
        "file). STOP what you are doing and wait for the user to tell you how to proceed."
    )
    s.calls(
        ("Bash", {"command": "git status"}, sibling, {"is_error": True}),
        ("Bash", {"command": "git push origin main"}, rejected, {"is_error": True}),
    )
    s.user("[Request interrupted by user for tool use]")
    s.user("don't push to main, open a pull request")
    branch = f"fix/{w}-{n}"
    s.bash(f"git checkout -b {branch}", f"Switched to a new branch '{branch}'")
    s.bash(f"git push -u origin {branch}", f"branch '{branch}' set up to track 'origin/{branch}'.")
    s.bash("gh pr create --fill", f"https://github.com/acme/app/pull/{n % 900 + 10}")


def _make_test_timeout(s: _Session, n: int, w: str, k: int) -> None:
    s.bash(
        "make test",
        f"pytest tests\nFAILED tests/test_{w}.py::test_{w}_{n} - assert {n % 50} == "
        f"{n % 50 + 1}\n===== 1 failed, {n % 200 + 3} passed in {n % 60}.{n % 10}s =====\n"
        "make: *** [Makefile:12: test] Error 1",
        2,
    )
    s.bash("make test -j1", "EXECUTION TIMED OUT", 124)


def _psql_syntax_error(s: _Session, n: int, w: str, k: int) -> None:
    table = f"{w}_{n}"
    s.bash(
        f'psql -c "select count(*) from {table}"',
        'psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" '
        "failed: Connection refused\n\tIs the server running locally and accepting "
        "connections on that socket?",
        2,
    )
    s.bash(
        f'psql -h localhost -c "select count(*) from {table}',
        "/bin/bash: -c: line 1: unexpected EOF while looking for matching `\"'\n"
        "/bin/bash: -c: line 2: syntax error: unexpected end of file",
        2,
    )


def _create_exists(s: _Session, n: int, w: str, k: int) -> None:
    path = f"deploy/{w}-{n}/config.yaml"
    s.bash(f"create {path}", f"Error: File '{path}' already exists.", 1)
    s.bash(f"rm {path} && create {path}", f"[File: /repo/{path} (1 lines total)]")


def _pytest_no_fix(s: _Session, n: int, w: str, k: int) -> None:
    test = "tests/test_api.py::test_login"
    failed = (
        f"F\n=== FAILURES ===\n___ test_login ___\n>       assert resp.status_code == 200\n"
        f"E       AssertionError: assert 401 == 200\n\ntests/test_api.py:{n % 200 + 5}: "
        f"AssertionError\n=== short test summary info ===\nFAILED {test} - AssertionError: "
        f"assert 401 == 200\n1 failed in 0.{n % 97}s"
    )
    s.bash(f"pytest {test}", failed, 1)
    if k % 3 == 0:  # an edit, then the same failure
        s.call(
            "Edit",
            {
                "file_path": "/repo/src/auth.py",
                "old_string": f"ttl = {n % 60}",
                "new_string": f"ttl = {n % 60 + 1}",
            },
            "The file /repo/src/auth.py has been updated.",
        )
        s.bash(f"pytest {test}", failed, 1)
    elif k % 3 == 1:  # the whole suite, which stops at another failure
        other = (
            "KeyError: '{w}'",
            "TypeError: unsupported operand",
            "ValueError: bad {w} {n}",
            "IndexError: list index out of range",
            "ZeroDivisionError: division by zero",
        )
        error = other[n % len(other)].format(w=w, n=n)
        s.bash(
            "pytest -x tests/",
            f"FAILED tests/test_{w}.py::test_{w}_{n} - {error}\n"
            f"!!!!! stopping after 1 failures !!!!!\n1 failed, {n % 90} passed in 1.{n % 9}s",
            1,
        )
    # else: the session ends


def _read_glob_path(s: _Session, n: int, w: str, k: int) -> None:
    name = f"{w}_{n}.py"
    s.call(
        "Read",
        {"file_path": f"/repo/{name}"},
        "<tool_use_error>File does not exist.</tool_use_error>",
        is_error=True,
    )
    found = f"/repo/src/{w}/{name}"
    s.call("Glob", {"pattern": f"**/{name}"}, found)
    s.call("Read", {"file_path": found}, f"     1\timport {w}\n     2\tVERSION = {n}")


_PLANT: dict[str, Callable[[_Session, int, str, int], None]] = {
    "docker-login": _docker_login,
    "mix-format": _mix_format,
    "npx-tsc": _npx_tsc,
    "credo-strict": _credo_strict,
    "ticket-status": _ticket_status,
    "webfetch-gh-api": _webfetch_gh_api,
    "no-push-to-main": _no_push_to_main,
    "make-test-timeout": _make_test_timeout,
    "psql-syntax-error": _psql_syntax_error,
    "create-exists": _create_exists,
    "pytest-no-fix": _pytest_no_fix,
    "read-glob-path": _read_glob_path,
}


def _routine(s: _Session, rng: random.Random) -> None:
    w = rng.choice(_WORDS)
    choice = rng.randrange(3)
    if choice == 0:
        s.bash(f"ls src/{w}", f"{w}.py\n__init__.py")
    elif choice == 1:
        s.call("Read", {"file_path": f"/repo/src/{w}.py"}, f"1\timport {w}")
    else:
        s.bash(f"git log --oneline -3 -- src/{w}", f"{rng.randrange(16**7):07x} Touch {w}")


def planted_in(sessions: int) -> dict[str, list[int]]:
    """The sessions (indices) each case is planted in: case ``j`` in every session
    ``i`` with ``i % 3 == j % 3``."""
    return {c.name: [i for i in range(sessions) if i % 3 == j % 3] for j, c in enumerate(CASES)}


def fix_sessions(sessions: int = 12, seed: int = 0, routine: int = 3) -> Iterator[ParsedSession]:
    """The sessions of a corpus (see the module docstring), ``routine`` unrelated calls first."""
    rng = random.Random(seed)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    seen: dict[str, int] = {}
    for i in range(sessions):
        agent = AGENTS[i % len(AGENTS)]
        file = f"/fixes/{agent}/s{seed}-{i}.jsonl"
        s = _Session(file, start + timedelta(hours=i), rng)
        s.user(f"Task {i}: ship the {rng.choice(_WORDS)} change")
        for _ in range(routine):
            _routine(s, rng)
        cases = [c for j, c in enumerate(CASES) if j % 3 == i % 3]
        for case in sorted(cases, key=lambda c: c.ends_failed):  # stable: list order kept
            k = seen.get(case.name, 0)
            seen[case.name] = k + 1
            _PLANT[case.name](s, rng.randint(2, 99999), rng.choice(_WORDS), k)
        yield ParsedSession(
            session=Session(
                native_id=f"fix-{seed}-{i}", agent=agent, format="planted", source_file=file
            ),
            events=s.events,
        )


def write_fix_corpus(store: GraphStore, tenant: str, sessions: int = 12, seed: int = 0) -> int:
    """Write a corpus of :func:`fix_sessions` into ``store`` as one source; return its events."""
    path = f"/fixes/{seed}/corpus.jsonl"
    linked = [link_session(tenant, parsed) for parsed in fix_sessions(sessions, seed)]
    state = SourceState(id=source_id(tenant, path), path=path, size=0, mtime_ns=0, format="planted")
    store.write_file(tenant, state, linked)
    return sum(len(p.events) for p in linked)
