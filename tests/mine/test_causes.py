"""Failures grouped by root cause: cause_of on real-looking lines, one motif per cause.

The real sample ``swe_agent_multimodel/`` ran 5 models on machines without a
JDK. The sessions that show it are counted here from the raw ``.traj`` files
(json and yaml), never from the adapter or the miner.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from reverie.ingest.pipeline import ingest_paths
from reverie.ingest.provenance import link_session, source_id
from reverie.mine import mine
from reverie.mine.causes import TOOLCHAINS, cause_key, cause_of
from reverie.mine.facts import Cause
from reverie.mine.motifs import motif_id
from reverie.models import Event, ParsedSession, Session, SourceRef
from reverie.store.base import SourceState
from reverie.workspace import Workspace

MULTI = "swe_agent_multimodel"
JDK_LINE = re.compile(
    r"\b(?:javac|java|mvn|mvnw|gradle|gradlew): command not found|JAVA_HOME is not (?:set|defined)"
)


def _c(kind: str, *subjects: str, group: str | None = None) -> Cause:
    return Cause(kind=kind, group=group, subjects=list(subjects))


@pytest.mark.parametrize(
    ("text", "program", "expected"),
    [
        ("/bin/bash: line 12561: javac: command not found", "javac",
         _c("missing_toolchain", "javac", group="java")),
        ("./run_tests.sh: line 2: javac: command not found\n"
         "./run_tests.sh: line 3: java: command not found", "run_tests.sh",
         _c("missing_toolchain", "javac", "java", group="java")),
        ("sudo: mvn: command not found", "mvn", _c("missing_toolchain", "mvn", group="java")),
        ("zsh: command not found: cargo", "cargo build",
         _c("missing_toolchain", "cargo", group="rust")),
        ("sh: 1: tsc: not found\nnpm ERR! code ELIFECYCLE", "npm run",
         _c("missing_command", "tsc")),
        ("'gradle' is not recognized as an internal or external command,\n"
         "operable program or batch file.", "gradle", _c("missing_toolchain", "gradle",
                                                          group="java")),
        ("/usr/bin/env: 'node': No such file or directory", "npx",
         _c("missing_toolchain", "node", group="node")),
        ("Command 'python' not found, did you mean:\n  command 'python3' from deb python3",
         "python", _c("missing_toolchain", "python", group="python")),
        ("sudo: systemctl: command not found", "systemctl restart",
         _c("missing_command", "systemctl")),
        ("/bin/bash: line 2863: sudo: command not found", "apt-get install",
         _c("missing_command", "sudo")),
        ("\nERROR: JAVA_HOME is not set and no 'java' command could be found in your PATH.\n\n"
         "Please set the JAVA_HOME variable in your environment to match the\n"
         "location of your Java installation.", "gradlew",
         _c("missing_toolchain", "JAVA_HOME", "java", group="java")),
        ("Error: JAVA_HOME is not defined correctly.\n  We cannot execute "
         "/usr/lib/jvm/zulu8/bin/java", "mvnw", _c("missing_toolchain", "JAVA_HOME",
                                                      group="java")),
        ("The JAVA_HOME environment variable is not defined correctly,\n"
         "this environment variable is needed to run this program.", "mvn",
         _c("missing_toolchain", "JAVA_HOME", group="java")),
        ("Error: environment variable OPENAI_API_KEY is not set", "python",
         _c("missing_env", "OPENAI_API_KEY")),
        ("Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
         "ModuleNotFoundError: No module named 'requests'", "python",
         _c("missing_module", "requests", group="requests")),
        ("Error: Cannot find module 'express'\nRequire stack:\n- /app/index.js", "node",
         _c("missing_module", "express", group="express")),
        ("Error: Cannot find module '/app/dist/main.js'", "node",
         _c("missing_file", "/app/dist/main.js")),
        ("<internal:kernel_require>:85:in `require': cannot load such file -- nokogiri "
         "(LoadError)", "ruby", _c("missing_module", "nokogiri", group="nokogiri")),
        # the program being run is missing: a path the project lacks, or a bare name
        ("/bin/bash: line 804: ./gradlew: No such file or directory", "gradlew",
         _c("missing_file", "./gradlew")),
        ("bash: ponyc: No such file or directory", "ponyc", _c("missing_command", "ponyc")),
        ("/bin/bash: line 3: out.txt: No such file or directory", "echo",
         _c("missing_file", "out.txt")),
        ("cat: notes.txt: No such file or directory", "cat", _c("missing_file", "notes.txt")),
        ("ls: cannot access 'tests/': No such file or directory", "ls",
         _c("missing_file", "tests/")),
        ("python: can't open file '/repo/reproduce.py': [Errno 2] No such file or directory",
         "python", _c("missing_file", "/repo/reproduce.py")),
        ("FileNotFoundError: [Errno 2] No such file or directory: 'config.yaml'", "python",
         _c("missing_file", "config.yaml")),
        ("Error: ENOENT: no such file or directory, open '/app/package.json'", "npm install",
         _c("missing_file", "/app/package.json")),
        ("curl: (7) Failed to connect to localhost port 8000 after 0 ms: Connection refused",
         "curl", _c("connection_refused", "localhost:8000")),
        ("Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect",
         "node", _c("connection_refused", "localhost:5432")),
        ("psql: error: could not connect to server: Connection refused\n"
         "\tIs the server running on host \"localhost\" (127.0.0.1) and accepting\n"
         "\tTCP/IP connections on port 5432?", "psql", _c("connection_refused",
                                                          "localhost:5432")),
        ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker "
         "daemon running?", "docker build", _c("connection_refused", "Docker daemon")),
        ("bash: ./run.sh: Permission denied", "run.sh", _c("permission_denied", "./run.sh")),
        ("PermissionError: [Errno 13] Permission denied: '/etc/hosts'", "python",
         _c("permission_denied", "/etc/hosts")),
        ("npm ERR! Error: EACCES: permission denied, mkdir '/usr/lib/node_modules/x'",
         "npm install", _c("permission_denied", "/usr/lib/node_modules/x")),
        ("SIOCSIFFLAGS: Operation not permitted", "ifconfig", _c("permission_denied")),
    ],
)
def test_cause_of_real_looking_lines(text: str, program: str, expected: Cause) -> None:
    assert cause_of(text, program, "bash") == expected


@pytest.mark.parametrize(
    "text",
    [
        # prose the agent sent to the shell, and a typo: no missing program
        "/bin/bash: line 2862: DISCUSSION: command not found\n"
        "/bin/bash: line 2863: The: command not found",
        "/bin/bash: line 7476: find.: command not found",
        "===== 2 failed, 10 passed in 1.2s =====",
        "AssertionError: 'migrations' not found in {'staticfiles', 'messages'}",
        "Error: payment method certificate_7504069 not found",
        "E   KeyError: 'user'",
        "ReferenceError: API_URL is not defined\n    at Object.<anonymous> (/app/x.js:1:1)",
        "NameError: name 'FOO_BAR' is not defined",
    ],
)
def test_no_cause(text: str) -> None:
    assert cause_of(text, None, "bash") is None


def test_every_program_and_variable_of_a_toolchain_is_that_toolchain() -> None:
    for group, names in TOOLCHAINS.items():
        for name in names:
            text = f"{name} is not set" if name.isupper() else f"bash: {name}: command not found"
            cause = cause_of(text)
            assert cause is not None and cause_key(cause) == ("missing_toolchain", group), name


def test_first_cause_wins_and_only_its_kind_adds_subjects() -> None:
    text = ("bash: line 1: javac: command not found\nbash: line 2: node: command not found\n"
            "bash: line 3: mvn: command not found")
    assert cause_of(text) == _c("missing_toolchain", "javac", "mvn", group="java")


class _Run:
    """One hand-made session: shell calls with their outputs, written with provenance."""

    def __init__(self, name: str, agent: str):
        self.name, self.agent = name, agent
        self.events: list[Event] = []
        self.now = datetime(2025, 3, 1, tzinfo=UTC)

    def _add(self, **fields: object) -> None:
        self.now += timedelta(seconds=5)
        n = len(self.events)
        self.events.append(Event(key=f"k{n}", source=SourceRef(file=self.file, line=n + 1),
                                 timestamp=self.now, **fields))  # type: ignore[arg-type]

    @property
    def file(self) -> str:
        return f"/corpus/{self.name}.jsonl"

    def bash(self, command: str, output: str, code: int = 1) -> _Run:
        cid = f"c{len(self.events)}"
        self._add(kind="message", role="assistant", trust="agent", text="Trying it.")
        self._add(kind="tool_call", role="assistant", trust="agent", tool="Bash",
                  tool_input={"command": command}, call_id=cid)
        self._add(kind="tool_result", role="user", trust="tool", tool="Bash", text=output,
                  call_id=cid, is_error=code != 0, exit_code=code)
        return self

    def parsed(self) -> ParsedSession:
        self.events.insert(0, Event(key="task", source=SourceRef(file=self.file, line=0),
                                    kind="message", role="user", trust="user", text="Fix it"))
        return ParsedSession(session=Session(native_id=self.name, agent=self.agent,
                                             format="hand", source_file=self.file),
                             events=self.events, native_id_unique=True)


def _write(store, tenant: str, runs: list[_Run]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Write the runs; return their session ids by name."""
    ids = {}
    for run in runs:
        linked = link_session(tenant, run.parsed())
        state = SourceState(id=source_id(tenant, run.file), path=run.file, size=0, mtime_ns=0,
                            format="hand")
        store.write_file(tenant, state, [linked])
        ids[run.name] = linked.session.id
    return ids


NOT_FOUND = "bash: line 1: {}: command not found"


def test_one_cause_across_programs_of_a_pipeline_is_one_motif(store, workspace) -> None:  # type: ignore[no-untyped-def]
    tenant = workspace.tenant
    runs = [
        # javac and java of one call: one failure, two subjects; mvn later in the same session
        _Run("s0", "a1").bash("javac Main.java && java Main",
                              NOT_FOUND.format("javac") + "\n" + NOT_FOUND.format("java"), 127)
        .bash("mvn -q test", NOT_FOUND.format("mvn"), 127),
        _Run("s1", "a2").bash("java Main", NOT_FOUND.format("java"), 127),
        _Run("s2", "a3").bash("./gradlew test", "\nERROR: JAVA_HOME is not set and no 'java' "
                              "command could be found in your PATH.\n"),
        _Run("s3", "a1").bash("./run_tests.sh", "./run_tests.sh: line 2: mvn: command not found",
                              127),
        _Run("s4", "a2").bash("javac A.java", NOT_FOUND.format("javac"), 127),
        # not the environment: two Python exceptions stay two motifs
        _Run("s5", "a1").bash("python app.py", "Traceback (most recent call last):\n"
                              "  File \"app.py\", line 3, in <module>\nKeyError: 'user'")
        .bash("sudo systemctl restart nginx", "sudo: systemctl: command not found"),
        _Run("s6", "a2").bash("python app.py", "Traceback (most recent call last):\n"
                              "  File \"app.py\", line 3, in <module>\nKeyError: 'user'")
        .bash("sudo systemctl restart nginx", "sudo: systemctl: command not found"),
        _Run("s7", "a3").bash("python app.py", "Traceback (most recent call last):\n  File "
                              "\"app.py\", line 9, in <module>\nValueError: bad port 'x'"),
        _Run("s8", "a1").bash("python app.py", "Traceback (most recent call last):\n  File "
                              "\"app.py\", line 9, in <module>\nValueError: bad port 'x'"),
    ]
    ids = _write(store, tenant, runs)
    motifs = mine(store, tenant, min_sessions=2, min_agents=1)
    java = [m for m in motifs if m.cause and m.cause.get("group") == "java"]
    assert len(java) == 1
    jdk = java[0]
    assert sorted(jdk.sessions) == sorted(ids[f"s{i}"] for i in range(5))  # s0 counts once
    assert jdk.agents == ["a1", "a2", "a3"] and jdk.support == 6
    assert len(jdk.signature_ids) == 5 and jdk.id == motif_id(tenant, jdk.signature_ids)
    assert jdk.cause == {"kind": "missing_toolchain", "group": "java",
                         "subjects": ["java", "javac", "mvn", "JAVA_HOME"]}
    assert (jdk.tool, jdk.program) == ("Bash", "javac")  # the most frequent signature's
    assert "javac: command not found" in jdk.template
    others = [m for m in motifs if m is not jdk]
    assert not any(re.search(r"javac|java:|mvn|JAVA_HOME", m.template) for m in others)
    # not merged: the two exceptions, and a command outside every toolchain
    assert sorted(m.template for m in others if m.program == "python") == [
        "KeyError: <STR>", "ValueError: bad port <STR>"]
    assert all(m.cause is None for m in others if m.program == "python")
    (systemctl,) = [m for m in others if m.cause]
    assert systemctl.cause == {"kind": "missing_command", "group": None,
                               "subjects": ["systemctl"]}
    assert [m.id for m in mine(store, tenant, min_sessions=2, min_agents=1)] == [
        m.id for m in motifs]


def _raw_jdk_runs(folder: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(model, instance) of every run, and of the runs whose observations show no JDK."""
    runs, jdk = set(), set()
    for run_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        meta = yaml.safe_load((run_dir / "metadata.yaml").read_text())
        model = meta["name"].split("+", 1)[1].strip()
        for traj in sorted((run_dir / "trajs").glob("*.traj")):
            steps = json.loads(traj.read_text())["trajectory"]
            runs.add((model, traj.stem))
            if any(JDK_LINE.search(str(s.get("observation"))) for s in steps):
                jdk.add((model, traj.stem))
    return runs, jdk


def test_missing_jdk_in_the_multimodel_sample_is_one_motif(real_data, workspace, store) -> None:  # type: ignore[no-untyped-def]
    runs, raw_jdk = _raw_jdk_runs(real_data / MULTI)
    assert len(runs) == 75 and len(raw_jdk) == 46
    assert len({model for model, _ in raw_jdk}) == 5
    space = Workspace(workspace, store=store)
    ingest_paths(space, space.tenant, [real_data / MULTI], workers=1)
    motifs = mine(store, workspace.tenant, min_sessions=2)
    jdk = [m for m in motifs if m.cause and m.cause.get("group") == "java"]
    assert len(jdk) == 1  # today: one per program (javac, java, mvn, gradlew, mvnw, ...)
    (env,) = jdk
    by_id = {s.id: (s.model, s.native_id) for s in store.sessions(workspace.tenant)}
    assert {by_id[s] for s in env.sessions} == raw_jdk
    assert len(env.agents) == 5 and len(env.sessions) >= 35
    assert env.cause["kind"] == "missing_toolchain"
    assert set(env.cause["subjects"]) == {"javac", "java", "mvn", "gradle", "JAVA_HOME"}
    assert env.cause["subjects"][0] == "javac"  # the most frequent first
    assert not any("command not found" in m.template and re.search(r"javac|java|mvn|gradle",
                                                                   m.template)
                   for m in motifs if m is not env)
    assert not any("JAVA_HOME" in m.template for m in motifs if m is not env)
