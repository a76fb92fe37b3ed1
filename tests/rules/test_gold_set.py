"""The gold set of the real transcripts loads, its evidence exists, and its judge works.

This does not run Reverie: the gold set is what a reviewer read in the
transcripts (tests/rules/gold/README.md). Here: the YAML is valid, every
evidence reference is a real file and line of ../shared/data/real and at least
one per entry shows the failure, and ``match`` / ``judge`` behave on hand-made
rules.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

_spec = importlib.util.spec_from_file_location("gold_set", Path(__file__).with_name("gold_set.py"))
assert _spec and _spec.loader
gold_set = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("gold_set", gold_set)
_spec.loader.exec_module(gold_set)

GOLD = gold_set.load_gold()
BY_ID = {e.id: e for e in GOLD.entries}
REFS = [(e.id, ref) for e in GOLD.entries for ref in e.evidence]


def test_the_yaml_loads_and_covers_every_folder_with_failures() -> None:
    assert len(GOLD.entries) >= 20
    folders = {f for e in GOLD.entries for f in e.folder}
    assert folders == gold_set.FOLDERS - {"otel_genai"}  # the OTel traces have no failure
    classes = {e.fix_class for e in GOLD.entries}
    assert {"environment", "none", "ran_first", "argument", "other_tool", "flag"} <= classes


def test_the_missing_jdk_is_one_environment_entry() -> None:
    jdk = [
        e
        for e in GOLD.entries
        if gold_set.match(e, {}, "/bin/bash: line 12: javac: command not found", "javac", "javac")
    ]
    assert [e.id for e in jdk] == ["no-java-toolchain"]
    entry = jdk[0]
    assert entry.fix_class == "environment" and entry.sessions_at_least >= 35
    for program, template in [
        ("mvn test", "<PATH>: line <NUM>: mvn: command not found"),
        ("gradlew", "ERROR: JAVA_HOME is not set and no <STR> command could be found"),
        ("mvnw", "Error: JAVA_HOME is not defined correctly."),
        ("run_tests.sh", "<PATH>: line <NUM>: <*> command not found"),
    ]:
        assert GOLD.first_match({}, template, program, program).id == "no-java-toolchain"


@pytest.mark.parametrize(("entry_id", "ref"), REFS, ids=[f"{i}:{r}" for i, r in REFS])
def test_every_evidence_reference_is_an_existing_file_and_line(
    entry_id: str, ref: str, real_data: Path
) -> None:
    assert gold_set.evidence_text(ref, real_data)


@pytest.mark.parametrize("entry", GOLD.entries, ids=lambda e: e.id)
def test_some_evidence_line_of_every_entry_shows_its_failure(entry, real_data: Path) -> None:
    error = gold_set._regex(entry.match.error)
    texts = [gold_set.evidence_text(ref, real_data) for ref in entry.evidence]
    assert any(error.search(t) for t in texts), entry.evidence


def test_evidence_references_that_point_nowhere_are_refused(real_data: Path) -> None:
    traj = "swe_agent_multimodel/20240825_SWE-agent_gpt-4o-2024-05-13/trajs/google__gson-1391.traj"
    with pytest.raises(IndexError):
        gold_set.evidence_text(f"{traj}:999", real_data)
    with pytest.raises(FileNotFoundError):
        gold_set.evidence_text("claude_code/nope.jsonl:1", real_data)
    with pytest.raises(ValueError, match=r"[02] runs"):
        gold_set.evidence_text(
            "tau_bench/gpt-4o-airline.tasks0-14.json#task-9-trial-7:1", real_data
        )
    with pytest.raises(ValueError):
        gold_set.Evidence.parse("/etc/passwd:1")


def test_the_schema_refuses_unknown_fields_and_inconsistent_entries(tmp_path: Path) -> None:
    raw = yaml.safe_load(gold_set.GOLD_FILE.read_text(encoding="utf-8"))
    entry = dict(raw["entries"][0])
    bad = [
        {**entry, "fix": "typo"},  # extra field
        {**entry, "class": "guess"},  # unknown class
        {**entry, "class": "none"},  # none with must_name
        {**entry, "must_name": []},  # a fix naming nothing
        {**entry, "evidence": entry["evidence"][:1]},  # one reference
        {**entry, "evidence": ["tau_bench/x.json:1", "tau_bench/x.json:2"]},  # other folder
        {**entry, "folder": "somewhere"},
        {**entry, "sessions_at_least": 1},
    ]
    for case in bad:
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "entries": [case]}), encoding="utf-8")
        with pytest.raises(ValueError):
            gold_set.load_gold(path)
    path = tmp_path / "dup.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "entries": [entry, entry]}), encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        gold_set.load_gold(path)


# ---------------------------------------------------------------- match


def test_match_uses_program_tool_error_and_folder() -> None:
    lint = "- E999 SyntaxError: <*> <*>"
    assert GOLD.first_match({}, lint, "edit", "edit", folders={"swe_agent"}).id == (
        "python-edit-lint-error"
    )
    assert GOLD.first_match({}, lint, "edit", "edit", folders={"swe_agent_multimodel"}).id == (
        "java-code-in-python-script"
    )
    both = {"swe_agent", "swe_agent_multimodel"}  # a motif spanning folders: the entry on both
    assert GOLD.first_match({}, lint, "edit", "edit", folders=both).id == (
        "edit-lint-errors-across-folders"
    )
    gradle_missing = "<PATH>: line <NUM>: <PATH>: No such file or directory"
    assert GOLD.first_match({}, gradle_missing, "gradlew", "./gradlew").id == (
        "gradle-wrapper-missing"
    )
    credo = "Pre-commit validation failed: [CREDO] Checking <NUM> source files"
    assert GOLD.first_match({}, credo, "git commit", "Bash").id == "precommit-credo"
    # no template: the rule's own text is searched
    rule = {"directive": "", "because": "book_reservation said: payment amount does not add up"}
    assert GOLD.first_match(rule, None, None, "book_reservation").id == "payment-does-not-add-up"
    # a tool the entry does not list never matches, whatever the error
    assert not gold_set.match(BY_ID["read-missing-file"], {}, "File does not exist.", None, "Glob")
    # the mini-swe-agent format error has no call: any tool
    assert GOLD.first_match({}, "Please always provide EXACTLY ONE action", None, None).id == (
        "one-action-per-response"
    )


# ---------------------------------------------------------------- judge


def test_an_approvable_rule_has_no_problems() -> None:
    assert (
        gold_set.judge(
            BY_ID["precommit-format"],
            "Run `mix format` before `git commit`.",
            "When committing in this Elixir project.",
            "The pre-commit hook rejected unformatted code; formatting first fixed it.",
            [],
        )
        == []
    )
    assert (
        gold_set.judge(
            BY_ID["precommit-credo"],
            "Run `mix credo --strict`, not `mix credo`, before `git commit`.",
            None,
            "The hook runs credo in strict mode.",
            [],
        )
        == []
    )
    assert (
        gold_set.judge(
            BY_ID["no-java-toolchain"],
            "This environment has no Java toolchain: `javac` and `mvn` are not installed. "
            "Do not try to compile, install a JDK or run Maven here; check changes by reading "
            "the code, and say in your summary that they were not compiled.",
            None,
            "javac: command not found in 37 sessions of all 5 models.",
            ["environment"],
        )
        == []
    )


def test_the_judge_names_each_problem() -> None:
    credo = gold_set.judge(
        BY_ID["precommit-credo"], "Run `mix credo` before `git commit`.", None, None, []
    )
    assert "the directive names none of ['mix credo --strict']" in credo
    assert any("recommends" in p and "mix credo" in p for p in credo)

    jdk = gold_set.judge(
        BY_ID["no-java-toolchain"],
        "Check the preconditions of `javac` before running it.",
        None,
        "'<PATH>: line <NUM>: javac: command not found'; used `find_file` instead.",
        [],
    )
    assert "vacuous phrase 'preconditions' in the directive" in jdk
    assert "placeholder <PATH> in the because" in jdk and "placeholder <NUM> in the because" in jdk
    assert "the directive names none of ['mvn', 'Maven']" in jdk
    assert any(p.startswith("the because says") and "instead" in p for p in jdk)

    tsc = gold_set.judge(
        BY_ID["payment-does-not-add-up"],
        "Run `calculate` before `book_reservation`.",
        None,
        None,
        [],
    )
    assert any("recommends" in p and "calculate" in p for p in tsc)
    assert "the directive names none of ['total']" in tsc


def test_class_none_wants_no_directive_and_the_failure_named() -> None:
    entry = BY_ID["discussion-sent-as-command"]
    assert (
        gold_set.judge(
            entry, "", None, "DISCUSSION: command not found in 4 sessions.", ["needs-directive"]
        )
        == []
    )
    problems = gold_set.judge(entry, "Change `command` and retry.", None, "it failed", [])
    assert "class none (no verified fix) but the directive is not empty" in problems
    assert "class none without the needs-directive flag" in problems
    assert "the reason names none of ['DISCUSSION']" in problems


def test_a_fix_seen_once_accepts_needs_directive_but_a_directive_still_names_it() -> None:
    entry = BY_ID["create-in-missing-directory"]
    assert entry.accept_needs_directive and entry.fix_class == "ran_first"
    because = "create failed with 'No such file or directory' in 2 sessions."
    assert gold_set.judge(entry, "", None, because, ["needs-directive"]) == []
    assert gold_set.judge(entry, "", None, because, []) == [
        "empty directive without the needs-directive flag"
    ]
    assert "the directive names none of ['mkdir']" in gold_set.judge(
        entry, "Check the directory before `create`.", None, because, []
    )
    # without the field an empty directive is wrong for a class with a fix
    strict = entry.model_copy(update={"accept_needs_directive": False})
    assert "empty directive for class ran_first" in gold_set.judge(
        strict, "", None, because, ["needs-directive"]
    )


def test_class_none_refuses_accept_needs_directive(tmp_path: Path) -> None:
    raw = yaml.safe_load(gold_set.GOLD_FILE.read_text(encoding="utf-8"))
    entry = next(e for e in raw["entries"] if e["class"] == "none")
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "entries": [{**entry, "accept_needs_directive": True}]}),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="always wants needs-directive"):
        gold_set.load_gold(path)


def test_masked_templates_of_todays_miner_match_one_entry_each() -> None:
    cases = [
        ("File <*> not found", "open", "open", {"swe_agent_multimodel"}, "open-file-not-found"),
        (
            "Directory <*> not found",
            "find_file",
            "find_file",
            None,
            "find-file-directory-not-found",
        ),
        (
            "Directory <*> not found",
            "search_dir",
            "search_dir",
            None,
            "search-dir-directory-not-found",
        ),
        (
            "sudo: systemctl: command not found",
            "systemctl restart",
            "sudo",
            None,
            "missing-systemctl",
        ),
        ("sudo: ifdown: command not found", "ifdown", "sudo", None, "missing-ifdown"),
        ("EXECUTION TIMED OUT", "apt-get upgrade", "sudo", None, "apt-get-timed-out"),
        ("EXECUTION TIMED OUT", "apt-get install", "sudo", None, "apt-get-timed-out"),
        ("EXECUTION TIMED OUT", "ping", "ping", None, "ping-timed-out"),
        (
            "E: Unable to locate package <*>",
            "apt-get install",
            "sudo",
            None,
            "apt-get-install-fails",
        ),
        (
            "Package <*> is not available, but is referred to by another package.",
            "apt-get install",
            "sudo",
            None,
            "apt-get-install-fails",
        ),
        (
            "<PATH>: line <NUM>: syntax error near unexpected token <*>",
            None,
            "DISCUSSION",
            None,
            "discussion-sent-as-command",
        ),
        (
            "No replacement was performed, old_str <STR> did not appear verbatim in <PATH>",
            "str_replace",
            "edit",
            None,
            "str-replace-not-verbatim",
        ),
        (
            "Parameter <STR> is required for command: str_replace.",
            None,
            "edit",
            None,
            "str-replace-without-old-str",
        ),
        (
            "Parameter <STR> is expected to be one of [<STR>, <STR>, <STR>, <STR>, <STR>].",
            None,
            "str_replace_editor",
            None,
            "editor-invalid-command",
        ),
    ]
    for template, program, tool, folders, expected in cases:
        hits = [
            e.id
            for e in GOLD.entries
            if gold_set.match(e, {}, template, program, tool, folders=folders)
        ]
        assert hits == [expected], (template, program, tool, hits)


def test_destructive_advice_needs_the_flag() -> None:
    entry = BY_ID["create-file-exists"]
    delete = "If `create` fails because the file exists, rm it and `create` it again, then `edit`."
    problems = gold_set.judge(entry, delete, None, None, [])
    assert "the directive recommends a destructive command without the flag" in problems
    assert any("recommends" in p and "rm" in p for p in problems)  # and it is wrong anyway
    # naming a destructive command to forbid it is fine
    assert (
        gold_set.judge(
            entry,
            "When `create` says the file already exists, change it with `edit`; do not rm it.",
            None,
            None,
            [],
        )
        == []
    )
    # an entry whose observed fix is destructive needs the flag whatever the wording
    forced = BY_ID["create-file-exists"].model_copy(update={"destructive": True})
    assert "the observed fix is destructive but the rule lacks the flag" in gold_set.judge(
        forced, "Use `edit` when `create` finds the file.", None, None, []
    )
    assert (
        gold_set.judge(
            forced, "Use `edit` when `create` finds the file.", None, None, ["destructive"]
        )
        == []
    )


def test_sentences_do_not_split_inside_commands() -> None:
    assert gold_set.sentences("Use `find . -name X` here. Then run it.") == [
        "Use `find . -name X` here.",
        "Then run it.",
    ]


# One rule per entry that a reviewer would approve, written from the evidence:
# (directive, because, flags). Proves every entry can be satisfied and fixes
# what "approvable" means for each; class none has no directive.
APPROVABLE = {
    "no-java-toolchain": (
        "This environment has no Java toolchain: `javac`, `java` and `mvn` are not installed "
        "and `./gradlew` and `./mvnw` stop because JAVA_HOME is not set. Do not try to compile, "
        "install a JDK or run Maven or Gradle here; check changes by reading the code and say "
        "in your summary that they were not compiled.",
        "javac: command not found in 37 sessions and mvn in 14, in all 5 models.",
        ["environment"],
    ),
    "gradle-wrapper-missing": (
        "",
        "`./gradlew test` failed with No such file or directory: these projects build with "
        "Maven (pom.xml), and `mvn` is not installed either.",
        ["needs-directive"],
    ),
    "java-code-in-python-script": (
        "",
        "Java code was written into a .py file: the edit linter checks it as Python (E999) and "
        "Python cannot import Java packages (No module named 'com').",
        ["needs-directive"],
    ),
    "dollar-in-file-name": (
        "Escape the dollar signs in `$Gson$Types.java` (`\\$Gson\\$Types.java`) when you open or "
        "search it: unescaped, the shell turns the path into `.java`.",
        "open and search_file failed with '.java not found' in 4 sessions; escaping worked.",
        [],
    ),
    "search-file-needs-a-path": (
        "Give `search_file` the file's path from the repository root "
        "(`src/main/java/.../JsonFactory.java`), not its bare name.",
        "search_file said 'File name JsonFactory.java not found' in 6 sessions.",
        [],
    ),
    "open-path-does-not-resolve": (
        "",
        "open failed with 'awk: cannot open' in 2 sessions (cwd was /; an unescaped $).",
        ["needs-directive"],
    ),
    "open-file-not-found": (
        "",
        "`open` said 'File ... not found' in 9 sessions for several reasons (an unescaped `$`, "
        "a guessed path, cwd /); no fix recurred.",
        ["needs-directive"],
    ),
    "find-file-directory-not-found": (
        "When `find_file` says 'Directory src not found', list the repository root with `ls` "
        "and pass the module directory it shows (such as `gson` or `dubbo-common`) instead.",
        "find_file failed with 'Directory src not found' in 7 multi-module repositories; "
        "the module directory worked in 6.",
        [],
    ),
    "search-dir-directory-not-found": (
        "",
        "`search_dir` failed with 'Directory src not found' in 5 sessions; listing the root "
        "and using a directory it showed worked in 2.",
        ["needs-directive"],
    ),
    "create-file-exists": (
        "When `create` says the file already exists, it has opened it: change it with `edit`.",
        "create failed with 'already exists' in 4 sessions; edit worked each time.",
        [],
    ),
    "create-in-missing-directory": (
        "Run `mkdir -p` on the parent directory before `create` when it may not exist.",
        "create failed with 'No such file or directory' in 2 sessions.",
        [],
    ),
    "ls-path-missing": (
        "",
        "ls: cannot access 'test': tests live in src/test/java in these Maven projects.",
        ["needs-directive"],
    ),
    "discussion-sent-as-command": (
        "",
        "The DISCUSSION text was sent as the command: 'DISCUSSION: command not found'.",
        ["needs-directive"],
    ),
    "find-dot-typo": (
        "`find.` is not a command: write `find . -name ...` with a space, or use `search_dir`.",
        "find.: command not found in 2 sessions; search_dir found the files.",
        [],
    ),
    "goto-past-end-of-file": (
        "",
        "goto 1207 failed in a 521-line file: the wrong file was open.",
        ["needs-directive"],
    ),
    "missing-systemctl": (
        "Do not run `systemctl` here: this sandbox has no systemd, it is not installed.",
        "sudo: systemctl: command not found in 3 sessions; nothing the agent did fixed it.",
        ["environment"],
    ),
    "missing-systemd-resolve": (
        "Do not run `systemd-resolve` in this sandbox: it is not installed.",
        "sudo: systemd-resolve: command not found in 2 sessions.",
        ["environment"],
    ),
    "missing-ifdown": (
        "Do not run `ifdown` or `ifup` in this sandbox: they are not installed, and installing "
        "packages fails here.",
        "sudo: ifdown: command not found in 2 sessions; the failing command never passed.",
        ["environment"],
    ),
    "missing-add-apt-repository": (
        "Do not run `add-apt-repository` in this sandbox: it is not installed and cannot be.",
        "sudo: add-apt-repository: command not found in 2 sessions.",
        ["environment"],
    ),
    "apt-get-timed-out": (
        "",
        "`sudo apt-get install` and `apt-get upgrade` timed out (EXECUTION TIMED OUT) in 4 "
        "sessions; retries timed out too.",
        ["needs-directive"],
    ),
    "apt-get-install-fails": (
        "",
        "`sudo apt-get install` failed in 2 sessions (E: Unable to locate package, no "
        "installation candidate, held broken packages): nothing could be installed.",
        ["needs-directive"],
    ),
    "ping-timed-out": (
        "",
        "`ping 8.8.8.8` timed out in 3 sessions: the sandbox has no network.",
        ["needs-directive"],
    ),
    "edit-lint-errors-across-folders": (
        "",
        "`edit` failed with errors such as 'E999 SyntaxError: invalid syntax' in 6 sessions; "
        "no fix recurred across sessions.",
        ["needs-directive"],
    ),
    "service-unrecognized": (
        "",
        "`service networking` failed with 'networking: unrecognized service' in 2 sessions; "
        "no fix recurred across sessions.",
        ["needs-directive"],
    ),
    "python-edit-lint-error": (
        "When `edit` reports a syntax error, resend the same edit with the replacement indented "
        "like the code it replaces and a line range that covers every line it replaces.",
        "edit's linter rejected E999 errors in 3 sessions; the corrected edit applied.",
        [],
    ),
    "precommit-format": ("Run `mix format` before `git commit`.", "The hook runs mix format.", []),
    "precommit-credo": (
        "Run `mix credo --strict`, not `mix credo`, and fix what it reports before `git commit`.",
        "The pre-commit hook runs credo in strict mode.",
        [],
    ),
    "precommit-dialyzer": (
        "Run `mix dialyzer` and fix its warnings before `git commit`; do not skip the hook with "
        '--no-verify (the user: "main was clean; fix the issues").',
        "The pre-commit hook rejected dialyzer warnings in 2 sessions.",
        [],
    ),
    "read-missing-file": (
        "Before calling Read on a path you have not seen, look it up with Glob.",
        "Read failed with 'File does not exist' in 2 sessions; Glob found the real paths.",
        [],
    ),
    "payment-does-not-add-up": (
        "When `book_reservation` says the payment amount does not add up, make the "
        "`payment_methods` amounts add up to the total price it reports (every passenger, "
        "checked-bag fees and insurance included), and confirm the new amounts with the user.",
        "'payment amount does not add up' in 10 runs; matching the total fixed 8.",
        [],
    ),
    "flight-not-available-on-date": (
        "",
        "update_reservation_flights: flight HAT030 not available on date 2024-05-13 (flown).",
        ["needs-directive"],
    ),
    "gift-card-balance-not-enough": (
        "When a gift card's balance is not enough, retry with a `payment_id` whose balance "
        "covers the amount (look the balances up with get_user_details).",
        "'gift card balance is not enough' in 3 runs; another gift card worked.",
        [],
    ),
    "not-enough-seats": ("", "not enough seats on flight HAT229 in 2 runs.", ["needs-directive"]),
    "django-no-such-table": (
        "In a standalone Django script, run `migrate` with run_syncdb=True (or makemigrations "
        "first) for an app without migrations, or its tables are never created.",
        "sqlite3.OperationalError: no such table in 2 sessions.",
        [],
    ),
    "one-action-per-response": (
        "Send exactly one ```bash block per response.",
        "The scaffold rejected responses with 2 or 3 actions in 7 sessions.",
        [],
    ),
    "ponyc-make-unconfigured": (
        "",
        "make failed: can't cd to build/build_release, in 2 runs.",
        ["needs-directive"],
    ),
    "str-replace-not-verbatim": (
        "",
        "str_replace failed: old_str did not appear verbatim (No replacement was performed) in "
        "3 runs, for three different mistakes.",
        ["needs-directive"],
    ),
    "str-replace-without-old-str": (
        "",
        "str_replace was sent without old_str in 2 runs; the next calls failed too.",
        ["needs-directive"],
    ),
    "editor-invalid-command": (
        "",
        "Parameter 'command' is expected to be one of view, create, str_replace, insert.",
        ["needs-directive"],
    ),
}


def test_every_entry_has_an_approvable_example() -> None:
    assert set(APPROVABLE) == set(BY_ID)


@pytest.mark.parametrize("entry_id", sorted(APPROVABLE))
def test_the_approvable_example_passes_the_judge(entry_id: str) -> None:
    directive, because, flags = APPROVABLE[entry_id]
    assert gold_set.judge(BY_ID[entry_id], directive, None, because, flags) == []
