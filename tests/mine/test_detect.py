"""Detection, signatures and recovery as pure functions over hand-built event rows."""

from __future__ import annotations

from itertools import count

import orjson

from reverie.mine import assign_signatures, detect_session, recover_session
from reverie.store.mining_base import MiningEvent

_ids = count()


class Session:
    """Builds one session's MiningEvent rows in order."""

    def __init__(self, sid: str = "s1"):
        self.sid = sid
        self.events: list[MiningEvent] = []

    def _add(self, **kw) -> MiningEvent:
        base = dict(
            id=f"e{next(_ids)}", session_id=self.sid, seq=len(self.events), kind="message",
            role=None, trust="agent", tool=None, text=None, tool_input=None, is_error=False,
            exit_code=None, answers_id=None, ts=1_000 * len(self.events), tokens=0, flags=None,
        )
        base.update(kw)
        ev = MiningEvent(**base)
        self.events.append(ev)
        return ev

    def user(self, text: str, trust: str = "user", flags: str | None = None) -> MiningEvent:
        return self._add(role="user", trust=trust, text=text, flags=flags)

    def call(self, tool: str, tool_input, output: str, *, is_error=False, exit_code=None,
             flags=None) -> MiningEvent:
        self._add(role="assistant", text="ok", tokens=100)
        call = self._add(kind="tool_call", role="assistant", tool=tool,
                         tool_input=orjson.dumps(tool_input).decode(), flags=flags)
        return self._add(kind="tool_result", trust="tool", tool=tool, text=output,
                         is_error=is_error, exit_code=exit_code, answers_id=call.id, flags=flags)

    def bash(self, command: str, output: str, **kw) -> MiningEvent:
        return self.call("Bash", {"command": command}, output, **kw)


def kinds(session: Session, failed=None) -> list[tuple[str, str, str | None]]:
    return [(f.kind, f.detector, f.program)
            for f in detect_session("t", "a", session.events, failed)]


def test_flagged_exit_code_and_unflagged_output_are_failures():
    s = Session()
    s.user("fix the build")
    s.bash("git push", "Exit code 128\nfatal: no upstream", is_error=True)
    s.bash("make test", "ok", exit_code=2)
    s.bash("python run.py", "Traceback (most recent call last):\n  File x\nValueError: bad")
    s.bash("foo --x", "bash: foo: command not found")
    s.bash("cat /etc/shadow", "cat: /etc/shadow: Permission denied")
    s.bash("pytest -q", "===== 2 failed, 3 passed in 0.5s =====")
    s.bash("ls", "a.py\nb.py")
    assert kinds(s) == [
        ("exit_code", "is_error", "git push"),
        ("exit_code", "exit_code", "make test"),
        ("traceback", "output", "python"),
        ("command_not_found", "output", "foo"),
        ("permission_denied", "output", "cat"),
        ("test_failure", "output", "pytest"),
    ]


def test_file_contents_read_by_a_non_shell_tool_are_not_scanned():
    s = Session()
    s.user("look")
    s.call("Read", {"file_path": "/a.py"}, "Traceback (most recent call last):\nKeyError")
    assert kinds(s) == []


def test_scaffold_artefacts_are_not_failures():
    s = Session()
    s.user("task")
    s.call("Read", {"file_path": "/x"}, "<tool_use_error>File does not exist.</tool_use_error>",
           is_error=True)
    s.call("Read", {"file_path": "/y"},
           "<tool_use_error>Sibling tool call errored</tool_use_error>", is_error=True)
    s.bash("grep -r foo .", "Exit code 1", is_error=True)  # grep: no match
    s.bash("rm -rf /", "The user doesn't want to proceed with this tool use.", is_error=True)
    s.user("[Request interrupted by user for tool use]")
    s.bash("cat x", "Exit code 1\ncat: x: No such file or directory", flags='["demo"]')
    assert kinds(s) == [("tool_error", "is_error", None), ("rejection", "is_error", "rm")]


def test_user_corrections_need_a_preceding_agent_action_and_user_trust():
    s = Session()
    s.user("no, don't touch the tests")  # the task itself: not a correction
    s.bash("npm install", "added 3 packages")
    s.user("no, use pnpm instead")
    s.bash("pnpm install", "done")
    s.user("[Request interrupted by user]")
    s.bash("ls", "x")
    s.user("don't do that", trust="tool")  # not the user's words
    s.bash("ls", "x")
    s.user("great, thanks")
    found = detect_session("t", "a", s.events)
    assert [(f.kind, f.program, f.trust) for f in found] == [
        ("correction", "npm install", "user"),
        ("interruption", "pnpm install", "user"),
    ]


def test_failed_outcome_is_a_failure_on_the_last_event():
    s = Session()
    s.user("task")
    last = s.bash("ls", "x")
    found = detect_session("t", "a", s.events, failed=True)
    assert [(f.kind, f.event_id) for f in found] == [("failed_outcome", last.id)]
    assert detect_session("t", "a", s.events, failed=False) == []


def test_multi_check_output_gives_one_failure_per_check():
    s = Session()
    s.user("commit")
    s.bash("git add -A && git commit -m x",
           "Pre-commit validation failed:\\n\\n[FORMAT] Code is not formatted.\\n"
           "Run 'mix format' to fix.\\n\\n[CREDO]\\nChecking 12 source files\\n", is_error=True)
    found = detect_session("t", "a", s.events)
    assert [f.program for f in found] == ["git commit", "git commit"]
    sigs = {s.id: s for s in assign_signatures("t", found)}
    templates = [sigs[f.signature_id].template for f in found]
    assert templates == [
        "Pre-commit validation failed: [FORMAT] Code is not formatted. Run 'mix format' to fix.",
        "Pre-commit validation failed: [CREDO] Checking <NUM> source files",
    ]


def test_near_identical_messages_share_a_signature_and_different_ones_do_not():
    failures = []
    for i, (path, num) in enumerate([("/a/b.py", 3), ("/c/d/e.py", 41), ("/x.py", 7)]):
        s = Session(f"s{i}")
        s.user("task")
        s.bash(f"python {path}", f"Exit code 1\nOSError: [Errno {num}] cannot open '{path}'",
               is_error=True)
        s.bash(f"python {path}", f"Exit code 1\nKeyError: 'k{num}' missing in table {num}",
               is_error=True)
        s.bash("npm test", f"Exit code 1\nOSError: [Errno {num}] cannot open '{path}'",
               is_error=True)
        failures += detect_session("t", "a", s.events)
    sigs = assign_signatures("t", failures)
    assert len(sigs) == 3
    by_id = {s.id: s for s in sigs}
    keys = {(by_id[f.signature_id].program, by_id[f.signature_id].template) for f in failures}
    assert keys == {
        ("python", "OSError: [Errno <NUM>] cannot open <STR>"),
        ("python", "KeyError: <STR> missing in table <NUM>"),
        ("npm test", "OSError: [Errno <NUM>] cannot open <STR>"),
    }


def test_recovery_finds_the_command_run_first_and_the_added_flag():
    s = Session()
    s.user("ship it")
    s.bash("git commit -m 'a'", "Exit code 1\nPre-commit validation failed: not formatted",
           is_error=True)
    s.bash("mix format", "")
    fix = s.bash("git commit -m 'b'", "[main 1a2b3c] a")
    s.bash("git push", "Exit code 128\nfatal: no upstream branch", is_error=True)
    push = s.bash("git push --set-upstream origin main", "done")
    found = detect_session("t", "a", s.events)
    fixes = recover_session("t", s.events, found)
    assert [(c.kind, c.summary, c.event_id, c.steps) for c in fixes] == [
        ("retry", "ran `mix format` first; changed arguments",
         s.events[s.events.index(fix) - 1].id, 2),
        ("retry", "added `--set-upstream`", s.events[s.events.index(push) - 1].id, 1),
    ]
    assert fixes[0].tokens == 200  # two assistant turns of 100 tokens on the way


def test_recovery_by_user_words_after_a_rejection():
    s = Session()
    s.user("start the server")
    s.bash("mix phx.server", "The user doesn't want to proceed with this tool use.",
           is_error=True)
    s.user("[Request interrupted by user for tool use]")
    s.user("run it in the background with iex instead")
    found = detect_session("t", "a", s.events)
    fixes = recover_session("t", s.events, found)
    assert [f.kind for f in found] == ["rejection"]
    assert [c.kind for c in fixes] == ["user"]
    assert fixes[0].summary == "run it in the background with iex instead"


def test_unrecovered_failure_has_no_correction():
    s = Session()
    s.user("task")
    s.bash("cargo build", "Exit code 101\nerror[E0425]: cannot find value `x`", is_error=True)
    s.bash("cargo build", "Exit code 101\nerror[E0425]: cannot find value `y`", is_error=True)
    found = detect_session("t", "a", s.events)
    assert len(found) == 2
    assert recover_session("t", s.events, found) == []


def test_answers_and_changes_of_mind_are_not_corrections():
    s = Session()
    s.user("change my flight")
    s.call("update_reservation_flights", {"flights": ["HAT030"]},
           "Error: flight HAT030 not available on date 2024-05-13", is_error=True)
    s.user("Actually, I was looking to change my flight from ATL to LAS.")  # after a failure
    s.call("get_user_details", {"user_id": "u"}, "{}")
    s.user("Actually, I'd like to return on the 27th.")  # a change of mind
    s._add(role="assistant", text="Would you like the fastest flight?")
    s.user("no, the cheapest")  # no tool call in the agent's turn: an answer
    s.call("search_direct_flight", {"origin": "ATL"}, "[]")
    s.user("actually, use the one-stop search")  # redirects the action: a correction
    found = detect_session("t", "a", s.events)
    assert [(f.kind, f.tool) for f in found] == [
        ("tool_error", "update_reservation_flights"), ("correction", "search_direct_flight"),
    ]


def test_recovery_skips_noop_tools_and_looks_past_a_go_ahead():
    s = Session()
    s.user("book it")
    s.call("book_reservation", {"payment_methods": [{"amount": 255}], "cabin": "economy"},
           "Error: payment amount does not add up, total price is 305, but paid 255",
           is_error=True)
    s.call("think", {"thought": "the total is 305"}, "")
    s.call("calculate", {"expression": "305 - 250"}, "55.0")
    s.user("Yes, please go ahead.")  # a go-ahead, not a correction: the search goes on
    s.call("book_reservation", {"payment_methods": [{"amount": 305}], "cabin": "economy"},
           '{"reservation_id": "HATHAT"}')
    found = detect_session("t", "a", s.events)
    fixes = recover_session("t", s.events, found)
    assert [(c.kind, c.summary) for c in fixes] == [
        ("retry", "ran `calculate` first; changed `payment_methods`"),
    ]
    only_think = Session()
    only_think.user("book it")
    only_think.call("book_reservation", {"cabin": "x"}, "Error: no", is_error=True)
    only_think.call("think", {"thought": "hmm"}, "")
    only_think.call("TodoWrite", {"todos": []}, "ok")
    failed = detect_session("t", "a", only_think.events)
    assert recover_session("t", only_think.events, failed) == []  # "used `think` instead": no


def test_a_check_that_passes_on_the_next_attempt_is_recovered_by_the_program_it_names():
    s = Session()
    s.user("commit")
    s.bash("git add -A && git commit -m x",
           "Pre-commit validation failed:\\n\\n[CREDO]\\nChecking 88 source files\\n"
           "test/a_test.exs: nested modules could be aliased", is_error=True)
    s.bash("mix compile", "")
    s.bash("mix credo --strict 2>&1 | tail -5", "no issues")
    s.bash("mix test", "5 tests, 0 failures")
    s.bash("git add -A && git commit -m x",
           "Pre-commit validation failed:\\n\\n[DIALYZER]\\nFinding suitable PLTs", is_error=True)
    s.bash("mix format --check-formatted; mix dialyzer 2>&1 | tail", "done")
    s.bash("git add -A && git commit -m y", "[main 1a2b3c] y")
    found = detect_session("t", "a", s.events)
    fixes = recover_session("t", s.events, found)
    # [CREDO] passed at the second attempt (which failed with [DIALYZER] only); of the
    # commands run before it, `mix credo` is the one the failure names, named as invoked
    assert [c.summary for c in fixes] == [
        "ran `mix credo --strict` first", "ran `mix dialyzer` first; changed arguments",
    ]


def test_timeouts_syntax_and_format_errors_are_failures_even_when_nothing_flags_them():
    s = Session()
    s.user("task")
    s.bash("ping 8.8.8.8", "\nEXECUTION TIMED OUT")
    s.bash("make test", "", exit_code=124)
    s.bash("pytest -x", "Killed", exit_code=137)
    s.bash("npm test", "Command timed out after 2m 0.0s", is_error=True)
    s.bash("echo 'it's done", "/bin/bash: line 1: unexpected EOF while looking for matching `''\n"
           "/bin/bash: line 2: syntax error: unexpected end of file")
    s.bash("ls (x", "/bin/sh: 1: Syntax error: \"(\" unexpected", exit_code=2)
    s.bash("for x in ; do", "(eval):1: parse error near `do'", is_error=True)
    s.bash("Should be:", "Please always provide EXACTLY ONE action in triple backticks, found 2 "
           "actions.\n\nPlease format your action in triple backticks.")
    s.bash("", "no fenced block at all", is_error=True, flags='["format_error"]')
    assert kinds(s) == [
        ("timeout", "output", "ping"),
        ("timeout", "exit_code", "make test"),
        ("timeout", "exit_code", "pytest"),
        ("timeout", "is_error", "npm test"),
        ("syntax_error", "output", "echo"),
        ("syntax_error", "exit_code", "ls"),
        ("syntax_error", "is_error", None),
        ("format_error", "output", None),  # the action never ran: no program failed
        ("format_error", "is_error", None),
    ]


def test_scaffold_notices_on_any_tool():
    s = Session()
    s.user("task")
    s.call("edit", {"command": "str_replace", "path": "/a.c", "old_str": "x", "new_str": "y"},
           "ERROR:\nNo replacement was performed, old_str `x` did not appear verbatim in /a.c.")
    s.call("edit", {"command": "str_replace", "path": "/a.c"},
           "ERROR:\nParameter `old_str` is required for command: str_replace.")
    s.call("run_ipython", {"code": "edit_file_by_replace('/a.tsx', 'x', 'y')"},
           "[Your proposed edit has introduced new syntax error(s). Please retry.]\n/a.tsx:22")
    s.call("open", {"command": "open src/Missing.java"}, "File src/Missing.java not found")
    s.call("find_file", {"command": "find_file A.java src"}, "Directory src not found")
    s._add(kind="tool_result", trust="tool", tool="error", is_error=True,
           text="Parameter 'command' is expected to be one of ['view', 'create'].",
           flags='["scaffold_error"]')  # OpenHands' error observation: no call, no skip
    s.call("Read", {"file_path": "/notes.md"}, "     1→ERROR: see below")
    assert [(k, d) for k, d, _ in kinds(s)] == [
        ("tool_error", "output"),
        ("format_error", "output"),
        ("syntax_error", "output"),
        ("file_not_found", "output"),
        ("file_not_found", "output"),
        ("format_error", "is_error"),
    ]


def test_a_file_that_mentions_a_timeout_or_a_syntax_error_is_no_failure():
    source = (
        "import subprocess\n"
        "def test_slow_command_times_out():\n"
        "    out = run('sleep 9')\n"
        "    assert out == 'EXECUTION TIMED OUT'\n"
        "EXECUTION TIMED OUT\n"
        "Command timed out after 5s\n"
        "/bin/bash: line 4: syntax error: unexpected end of file\n"
        "Traceback (most recent call last):\n"
        "    assert 'connection timed out' in caplog.text\n"
    )
    s = Session()
    s.user("task")
    s.bash("cat tests/test_run.py", source)
    s.bash("grep -n 'timed out' -r tests | head", source)
    s.call("Read", {"file_path": "tests/test_run.py"}, source)
    s.bash("cat missing.py", "cat: missing.py: No such file or directory")  # the reader's own
    s.bash("python check.py", source)  # no file dump: the lines are the program's own words
    assert kinds(s) == [
        ("file_not_found", "output", "cat"),
        ("timeout", "output", "python"),
    ]


def test_a_flagged_failure_that_names_a_timeout_test_is_no_timeout():
    s = Session()
    s.user("task")
    s.bash("pytest", "FAILED tests/test_http.py::test_timeout - AssertionError: timeout not raised",
           exit_code=1)
    s.bash("curl -m 5 http://x", "curl: (28) Connection timed out after 5001 milliseconds",
           exit_code=28)
    s._add(kind="tool_result", trust="tool", tool="Bash", text="", is_error=True)
    assert [k for k, _, _ in kinds(s)] == ["exit_code", "timeout", "empty_result"]


def test_retries_that_time_out_or_do_not_parse_are_no_fix():
    s = Session()
    s.user("build it")
    s.bash("make", "Exit code 2\nmake: *** [all] Error 2", is_error=True)
    s.bash("make -j8", "\nEXECUTION TIMED OUT")
    s.bash("make -j1 'all", "/bin/bash: line 1: unexpected EOF while looking for matching `''")
    found = detect_session("t", "a", s.events)
    assert [f.kind for f in found] == ["exit_code", "timeout", "syntax_error"]
    assert recover_session("t", s.events, found) == []
    fixed = s.bash("make -j1 all", "done")
    found = detect_session("t", "a", s.events)
    fixes = recover_session("t", s.events, found)
    assert fixes and {c.event_id for c in fixes} == {s.events[s.events.index(fixed) - 1].id}
