"""Command lines read as shell: simple commands, wrappers, programs, flags, connectors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reverie.mine.program import program_of, programs_of, simple_commands
from reverie.mine.shell import SimpleCommand, invocation, parse, script

Row = tuple[object, ...]


def _row(cmd: SimpleCommand) -> Row:
    """text, words, env, launcher, head, program, args, flags, connector, depth, setup."""
    return (cmd.text, cmd.words, cmd.env, cmd.launcher, cmd.head, cmd.program, cmd.args,
            cmd.flags, cmd.connector, cmd.depth, cmd.setup)


CASES: list[tuple[str, list[Row]]] = [
    ("cd /repo && FOO=1 uv run pytest -x tests/ 2>&1 | tail -5", [
        ("cd /repo", ("cd", "/repo"), (), (), "cd", "cd", ("/repo",), (), None, 0, True),
        ("FOO=1 uv run pytest -x tests/", ("pytest", "-x", "tests/"), ("FOO=1",), ("uv", "run"),
         "pytest", "pytest", ("-x", "tests/"), ("-x",), "&&", 0, False),
        ("tail -5", ("tail", "-5"), (), (), "tail", "tail", ("-5",), ("-5",), "|", 0, False),
    ]),
    ("docker login && docker push img:1", [
        ("docker login", ("docker", "login"), (), (), "docker", "docker login", (), (), None, 0,
         False),
        ("docker push img:1", ("docker", "push", "img:1"), (), (), "docker", "docker push",
         ("img:1",), (), "&&", 0, False),
    ]),
    ("npx tsc --noEmit; echo done", [
        ("npx tsc --noEmit", ("tsc", "--noEmit"), (), ("npx",), "tsc", "tsc", ("--noEmit",),
         ("--noEmit",), None, 0, False),
        ("echo done", ("echo", "done"), (), (), "echo", "echo", ("done",), (), ";", 0, True),
    ]),
    ("(cd sub && make) || echo fail", [
        ("cd sub", ("cd", "sub"), (), (), "cd", "cd", ("sub",), (), None, 1, True),
        ("make", ("make",), (), (), "make", "make", (), (), "&&", 1, False),
        ("echo fail", ("echo", "fail"), (), (), "echo", "echo", ("fail",), (), "||", 0, True),
    ]),
    ("sudo -E python -m pip install -e .", [
        ("sudo -E python -m pip install -e .", ("pip", "install", "-e", "."), (),
         ("sudo", "-E", "python", "-m"), "pip", "pip install", ("-e", "."), ("-e",), None, 0,
         False),
    ]),
    ("cat <<'EOF' > a.py\nprint('it\"s')\nx = $(rm -rf /)\nEOF\npython a.py", [
        ("cat", ("cat",), (), (), "cat", "cat", (), (), None, 0, False),
        ("python a.py", ("python", "a.py"), (), (), "python", "python", ("a.py",), (), "\n", 0,
         False),
    ]),
    ("edit 10:12\n    return f'{x}' && y\nend_of_edit", [
        ("edit 10:12", ("edit", "10:12"), (), (), "edit", "edit", ("10:12",), (), None, 0, False),
    ]),
    ("git commit -m \"fix: it's done\" && git push -u origin HEAD", [
        ("git commit -m \"fix: it's done\"", ("git", "commit", "-m", "fix: it's done"), (), (),
         "git", "git commit", ("-m", "fix: it's done"), ("-m",), None, 0, False),
        ("git push -u origin HEAD", ("git", "push", "-u", "origin", "HEAD"), (), (), "git",
         "git push", ("-u", "origin", "HEAD"), ("-u",), "&&", 0, False),
    ]),
    ("for f in *.py; do black $f; done", [
        ("black $f", ("black", "$f"), (), (), "black", "black", ("$f",), (), None, 1, False),
    ]),
    (".venv/bin/pytest -k 'not slow'", [
        (".venv/bin/pytest -k 'not slow'", (".venv/bin/pytest", "-k", "not slow"), (),
         (".venv/bin/",), "pytest", "pytest", ("-k", "not slow"), ("-k",), None, 0, False),
    ]),
    ('bash -c "make test && make lint"', [
        ('bash -c "make test && make lint"', ("bash", "-c", "make test && make lint"), (), (),
         "bash", "bash", ("-c", "make test && make lint"), ("-c",), None, 0, False),
        ("make test", ("make", "test"), (), (), "make", "make test", (), (), None, 1, False),
        ("make lint", ("make", "lint"), (), (), "make", "make lint", (), (), "&&", 1, False),
    ]),
    ("timeout 30 cargo test", [
        ("timeout 30 cargo test", ("cargo", "test"), (), ("timeout", "30"), "cargo",
         "cargo test", (), (), None, 0, False),
    ]),
    ("javac -cp .:gson.jar A.java\njava -cp .:gson.jar A", [
        ("javac -cp .:gson.jar A.java", ("javac", "-cp", ".:gson.jar", "A.java"), (), (),
         "javac", "javac", ("-cp", ".:gson.jar", "A.java"), ("-cp",), None, 0, False),
        ("java -cp .:gson.jar A", ("java", "-cp", ".:gson.jar", "A"), (), (), "java", "java",
         ("-cp", ".:gson.jar", "A"), ("-cp",), "\n", 0, False),
    ]),
    ("rm -rf build && mkdir build", [
        ("rm -rf build", ("rm", "-rf", "build"), (), (), "rm", "rm", ("-rf", "build"), ("-rf",),
         None, 0, False),
        ("mkdir build", ("mkdir", "build"), (), (), "mkdir", "mkdir", ("build",), (), "&&", 0,
         False),
    ]),
    ("git push --force origin main", [
        ("git push --force origin main", ("git", "push", "--force", "origin", "main"), (), (),
         "git", "git push", ("--force", "origin", "main"), ("--force",), None, 0, False),
    ]),
    ("mix credo --strict", [
        ("mix credo --strict", ("mix", "credo", "--strict"), (), (), "mix", "mix credo",
         ("--strict",), ("--strict",), None, 0, False),
    ]),
    ('echo "unterminated', [
        ("echo", ("echo",), (), (), "echo", "echo", (), (), None, 0, True),
    ]),
    (")(", []),
    ("", []),
]


@pytest.mark.parametrize(("command", "expected"), CASES, ids=[c for c, _ in CASES])
def test_parse_gives_every_simple_command_with_its_parts(command: str, expected: list[Row]):
    assert [_row(c) for c in parse(command)] == expected


def test_connectors_cover_every_operator():
    found = [(c.program, c.connector) for c in parse("a | b |& c && d || e; f &\ng")]
    assert found == [("a", None), ("b", "|"), ("c", "|"), ("d", "&&"), ("e", "||"), ("f", ";"),
                     ("g", "&")]


def test_blocks_nest_and_substitutions_run_before_their_command():
    command = (
        "x=$(git rev-parse HEAD)\n"
        "if grep -q x f; then make; else { ls; }; fi\n"
        "while read l; do echo $l; done < f.txt\n"
        "case $1 in a) npm test;; esac\n"
        "f() { cargo build; }\n"
        "diff <(sort a) b  # a comment && not a command\n"
        "git checkout `git log -1 --format=%H`"
    )
    found = [(c.program, c.connector, c.depth, c.substitution) for c in parse(command)]
    assert found == [
        ("git rev-parse", None, 1, True),
        ("grep", "\n", 1, False),
        ("make", ";", 1, False),
        ("ls", ";", 2, False),
        ("read", "\n", 1, False),
        ("echo", ";", 1, False),
        ("npm test", "\n", 1, False),
        ("cargo build", "\n", 1, False),
        ("sort", "\n", 1, True),
        ("diff", "\n", 0, False),
        ("git log", "\n", 1, True),
        ("git checkout", "\n", 0, False),
    ]


def test_heredoc_continuations_and_line_continuations():
    command = "cat <<EOF | python - && echo ok\nprint(1)\nEOF\npytest \\\n  -x \\\n  tests"
    found = [(c.program, c.words, c.connector) for c in parse(command)]
    assert found == [
        ("cat", ("cat",), None),
        ("python", ("python", "-"), "|"),
        ("echo", ("echo", "ok"), "&&"),
        ("pytest", ("pytest", "-x", "tests"), "\n"),
    ]


@pytest.mark.parametrize(
    ("command", "launcher", "env", "program", "flags"),
    [
        ("env -i PATH=/bin FOO=1 make", ("env", "-i"), ("PATH=/bin", "FOO=1"), "make", ()),
        ("sudo -u pg psql -c 'select 1'", ("sudo", "-u", "pg"), (), "psql", ("-c",)),
        ("nohup ./server --port 80 &", ("nohup", "./"), (), "server", ("--port",)),
        ("time python3.11 -u -m pytest -q", ("time", "python3.11", "-u", "-m"), (), "pytest",
         ("-q",)),
        ("poetry run python -m pytest", ("poetry", "run", "python", "-m"), (), "pytest", ()),
        ("uv run --with rich pytest", ("uv", "run", "--with", "rich"), (), "pytest", ()),
        ("npx -y prettier --write .", ("npx", "-y"), (), "prettier", ("--write",)),
        ("bundle exec rake test", ("bundle", "exec"), (), "rake test", ()),
        ("find . | xargs -n 1 black", ("xargs", "-n", "1"), (), "black", ()),
        ("timeout -s KILL 5m go test ./...", ("timeout", "-s", "KILL", "5m"), (), "go test", ()),
        ("$JAVA_HOME/bin/java -version", ("$JAVA_HOME/bin/",), (), "java", ("-version",)),
        ("command -v javac", (), (), "command", ("-v",)),
        ("env", (), (), "env", ()),
        ("sudo FOO=1", (), (), "sudo", ()),
        ("python -c 'import x'", (), (), "python", ("-c",)),
    ],
)
def test_wrappers_are_stripped_as_written(
    command: str, launcher: tuple[str, ...], env: tuple[str, ...], program: str,
    flags: tuple[str, ...],
):
    cmd = parse(command)[-1]
    assert (cmd.launcher, cmd.env, cmd.program, cmd.flags) == (launcher, env, program, flags)


@pytest.mark.parametrize(
    ("command", "program", "args"),
    [
        ("git -C /repo -c a=b status --short", "git status", ("--short",)),
        ("kubectl -n prod get pods", "kubectl get", ("pods",)),
        ("cargo +nightly fmt --all", "cargo fmt", ("--all",)),
        ("mvn -q -pl core test", "mvn test", ()),
        ("make -C build -j 8 install", "make install", ()),
        ("make build/out.o", "make", ("build/out.o",)),
        ("git --version", "git", ("--version",)),
        ("npm run build -- --watch", "npm run", ("build", "--", "--watch")),
    ],
)
def test_subcommands_skip_global_options_and_their_values(
    command: str, program: str, args: tuple[str, ...]
):
    cmd = parse(command)[0]
    assert (cmd.program, cmd.args) == (program, args)


def test_flags_stop_at_double_dash_and_keep_values_whole():
    cmd = parse("cargo test --release --features=a,b -- --nocapture")[0]
    assert cmd.flags == ("--release", "--features=a,b")


def test_words_are_unquoted_and_argv_keeps_what_was_stripped():
    cmd = parse("FOO='a b' sudo -E ./run.sh \"x\\\"y\" 'z w' a\\ b --k=\"v v\" $'t'")[0]
    assert cmd.words == ("./run.sh", 'x"y', "z w", "a b", "--k=v v", "t")
    assert cmd.argv == ("FOO='a b'", "sudo", "-E", "./run.sh", 'x"y', "z w", "a b", "--k=v v",
                        "t")
    assert cmd.env == ("FOO='a b'",)


def test_a_builtin_run_by_path_is_a_program():
    assert [(c.head, c.setup) for c in parse("test -f x && ./test")] == [
        ("test", True), ("test", False)
    ]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("npx tsc --noEmit", "npx tsc --noEmit"),
        ("docker login -u me registry.io", "docker login -u"),  # -u takes no value here
        ("sudo -E python -m pip install -e .", "sudo -E python -m pip install -e"),
        (".venv/bin/pytest -k 'not slow' tests", ".venv/bin/pytest -k"),
        ("FOO=1 timeout 30 cargo test", "timeout 30 cargo test"),
        ("mix credo --strict", "mix credo --strict"),
        ("git log --format='%H %s' -n 3", "git log '--format=%H %s' -n 3"),
    ],
)
def test_invocation_writes_launcher_program_and_flags_back(command: str, expected: str):
    assert invocation(parse(command)[0]) == expected


def test_script_of_a_shell_c_call():
    found = [(c.program, script(c)) for c in parse("bash -lc 'make' ; sh run.sh ; zsh -x -c ls")]
    assert found == [("bash", "make"), ("make", None), ("sh", None), ("zsh", "ls"), ("ls", None)]


@pytest.mark.parametrize(
    "command",
    [")(", "((", "if then fi", "echo 'a", "a && ", "cat <<EOF", "$(", "`", "\x00", "\ud800 x",
     "a" * 5000, " && ".join(["make"] * 2000), "echo $(" * 400 + ")" * 400],
)
def test_broken_input_never_raises(command: str):
    for cmd in parse(command):
        invocation(cmd)
    program_of(command, "x: y")


def test_parse_returns_a_fresh_list_from_the_cache():
    first = parse("make test")
    first.clear()
    assert [c.program for c in parse("make test")] == ["make test"]


def test_importing_reverie_does_not_load_the_grammar():
    code = "import sys, reverie.mine.program; print('tree_sitter' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- program.py on top of the parser ---------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "output", "expected"),
    [
        ("cd /repo && FOO=1 uv run pytest -x tests/ 2>&1 | tail -5", "", "pytest"),
        ("docker login && docker push img:1", "denied: requested access", "docker push"),
        ("npx tsc --noEmit; echo done", "", "tsc"),
        ("(cd sub && make) || echo fail", "", "make"),
        ('bash -c "make test && make lint"', "", "make lint"),
        ("javac -cp .:g.jar A.java\njava -cp .:g.jar A",
         "bash: line 1: javac: command not found\nbash: line 2: java: command not found", "javac"),
        ("make clean && make", "make: *** [Makefile:192: build] Error 2", "make"),
        ("docker pull x\ndocker run x", "bash: docker: command not found\n" * 2, "docker pull"),
        ("cat data.json | jq .name", "jq: error (at <stdin>:0): Cannot index array", "jq"),
        ("git diff | head -50", "head: bad option", "git diff"),
        ("echo $PATH | grep java", "", "grep"),
        ("echo $(date)", "", "echo"),
        ("$EDITOR x", "", None),
        ("The issue is in the `elif` block, or (as said) not.", "", None),
        ("", "", None),
    ],
)
def test_program_of(command: str, output: str, expected: str | None):
    assert program_of(command, output) == expected


def test_programs_of_and_simple_commands_keep_their_meaning():
    command = "cd w && sudo make -j4 | tee log; bash -c 'npm test' && git push $(git remote)"
    assert programs_of(command) == ["make", "npm test", "git push"]
    assert simple_commands(command) == [
        ["cd", "w"], ["sudo", "make", "-j4"], ["bash", "-c", "npm test"], ["npm", "test"],
        ["git", "push", "$(git remote)"],
    ]
