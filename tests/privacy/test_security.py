"""Security review of the CLI paths, as tests (the review itself is in docs/privacy.md).

- no shell execution of transcript content: every process start in
  ``src/reverie`` is on a short, justified allow-list, with a fixed argv and
  never ``shell=True``; no ``eval``/``exec``/``os.system``/``os.popen``;
- no template injection: transcript text reaches jinja2 only as data, so
  ``{{ ... }}`` and ``{% ... %}`` in a transcript come out literally;
- safe YAML: only safe loaders and dumpers (``safe_load``/``safe_dump``, or the rule
  book's libyaml CSafeLoader/CSafeDumper); a rule file with a Python
  tag is refused and runs nothing;
- file writes stay in the workspace: a rule id like ``../../x`` is refused
  everywhere a rule id is taken.
"""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

import reverie
from reverie.errors import InputError
from reverie.models import Motif
from reverie.render.prompt import render
from reverie.rulebook import rules as rulebook
from reverie.rulebook.distill import TemplateDistiller
from reverie.rulebook.rules import Rule, Scope, load_rule, rule_path
from reverie.settings import Settings

SRC = Path(reverie.__file__).parent
NOW = datetime(2026, 1, 5, tzinfo=UTC)

# (module, call) -> why it is safe. Anything else that starts a process fails the test.
ALLOWED_PROCESSES = {
    ("rulebook/review.py", "subprocess.run"): "`git config user.name` for the reviewer's "
    "name: fixed argv",
    ("testing/arcadedb.py", "subprocess.Popen"): "starts the graph server: argv from "
    "ArcadeDBServer.command() (java, heap, jar path), no transcript text",
}
_PROCESS_CALLS = {
    "subprocess.run", "subprocess.Popen", "subprocess.call", "subprocess.check_call",
    "subprocess.check_output", "subprocess.getoutput", "subprocess.getstatusoutput",
    "os.system", "os.popen", "os.execv", "os.execvp", "os.execve", "os.spawnv", "os.spawnlp",
    "os.startfile", "pty.spawn", "asyncio.create_subprocess_shell",
    "asyncio.create_subprocess_exec",
}  # fmt: skip


def _calls() -> list[tuple[str, str, ast.Call]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                out.append((str(path.relative_to(SRC)), ast.unparse(node.func), node))
    return out


def test_no_process_is_started_outside_the_justified_allow_list() -> None:
    found = {(mod, name) for mod, name, _ in _calls() if name in _PROCESS_CALLS}
    assert found <= set(ALLOWED_PROCESSES), found - set(ALLOWED_PROCESSES)
    assert found, "the scan found none of the known process starts: is it looking at src?"
    for mod, name, call in _calls():
        assert name not in {"eval", "exec", "compile", "__import__"}, (mod, name)
        for kw in call.keywords:
            shell = kw.arg == "shell" and not (
                isinstance(kw.value, ast.Constant) and kw.value.value is False
            )
            assert not shell, f"{mod}: {name}(shell=...)"
        if (mod, name) == ("rulebook/review.py", "subprocess.run"):
            argv = call.args[0]
            assert isinstance(argv, ast.List)
            assert all(isinstance(a, ast.Constant) for a in argv.elts)
        if (mod, name) == ("testing/arcadedb.py", "subprocess.Popen"):
            assert ast.unparse(call.args[0]) == "self.command()"


def test_yaml_is_only_loaded_safely(tmp_path: Path) -> None:
    yaml_calls = {name for _, name, _ in _calls() if name.startswith("yaml.")}
    allowed = {"yaml.safe_load", "yaml.safe_dump", "yaml.YAMLError", "yaml.load", "yaml.dump"}
    assert yaml_calls and yaml_calls <= allowed, yaml_calls - allowed
    for mod, name, call in _calls():
        loaders = [kw for kw in call.keywords if kw.arg in ("Loader", "Dumper")]
        if name in ("yaml.load", "yaml.dump"):  # only with the rule book's safe classes
            assert mod == "rulebook/rules.py" and [ast.unparse(k.value) for k in loaders] in (
                ["_LOADER"], ["_DUMPER"]
            ), (mod, ast.unparse(call))
        else:
            assert not loaders, mod
    assert rulebook._LOADER in (yaml.CSafeLoader, yaml.SafeLoader)
    assert rulebook._DUMPER in (yaml.CSafeDumper, yaml.SafeDumper)
    pwned = tmp_path / "pwned"
    rule = tmp_path / "R-0001.md"
    rule.write_text(
        f"---\nid: !!python/object/apply:os.system ['touch {pwned}']\ntitle: x\n---\nbody\n"
    )
    with pytest.raises(InputError, match="not valid YAML"):
        load_rule(rule)
    assert not pwned.exists()


# ---------------------------------------------------------------- template injection

PAYLOADS = ("{{ 7*7 }}", "{% if true %}yes{% endif %}", "{{ cycler.__init__.__globals__ }}")


def _rule(directive: str, because: str) -> Rule:
    return Rule(
        id="R-0009", title="Quote the template markers", directive=directive,
        when="When a template error shows {{ 7*7 }}.", because=because,
        scope=Scope(tenant="default"), status="approved", confidence=0.9,
        created=NOW, updated=NOW,
    )  # fmt: skip


@pytest.mark.parametrize("template", ["claude_md", "system_prompt", "agents_md", "cursor_rules"])
def test_rule_text_renders_as_data(template: str) -> None:
    rule = _rule(f"Quote `{PAYLOADS[0]}` and `{PAYLOADS[1]}` literally.", f"Seen: {PAYLOADS[2]}")
    text = render(template, [rule], tenant="default").text
    for payload in PAYLOADS:
        assert payload in text
    assert "49" not in text and "<function" not in text and "yesyes" not in text


def test_offline_distiller_quotes_transcript_text_as_data(tmp_path: Path) -> None:
    motif = Motif(
        id="m", tenant="default", tool="Bash", program="make", kind="exit_code",
        template="Error: template {{ 7*7 }} failed {% if true %}yes{% endif %}",
        signature_ids=["s"], sessions=["a", "b", "c"], agents=["x"], support=3,
        trust_support=1.8,
    )  # fmt: skip
    draft = TemplateDistiller().distill(motif, [])
    words = " ".join((draft.title, draft.directive, draft.when, draft.because))
    assert "{{ 7*7 }}" in words and "49" not in words


def test_transcript_template_markers_survive_end_to_end(
    tmp_path: Path, workspace: Settings, cli, kit
) -> None:
    ws, w = workspace.root, ["-w", str(workspace.root)]
    for i in range(3):
        t = kit.Transcript(kit.session_id(f"tpl-{i}"), f"/work/{('alpha', 'beta')[i % 2]}")
        t.user(f"Build the site {i}")
        t.bash("make site", "Error: cannot render {{ lipsum }} in layout {% debug %}", error=True)
        t.bash("make clean", "")
        t.bash("make site", "built").write(tmp_path / "corpus" / str(i))
    kit.set_toml(ws, "dream", "auto_approve", "true")
    kit.set_toml(ws, "dream", "auto_approve_confidence", "0.0")
    kit.run_cli(cli, "ingest", str(tmp_path / "corpus"), *w, "--json")
    kit.run_cli(cli, "dream", *w, "--json")
    rules = [r for r in json.loads(kit.run_cli(cli, "rules", "list", *w, "--json"))
             if "lipsum" in json.dumps(r)]  # fmt: skip
    assert rules and rules[0]["status"] == "approved"
    out = kit.run_cli(cli, "render", "claude_md", *w)
    assert "{{ lipsum }}" in out and "Lorem" not in out and "{% debug %}" in out
    kit.run_cli(cli, "explain", rules[0]["id"], *w)


# ---------------------------------------------------------------- paths


@pytest.mark.parametrize("bad", ["../../x", "R-0001/../../x", "/etc/passwd", "R-12", "R-0001.md"])
def test_rule_ids_that_are_paths_are_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a rule id"):
        rule_path(tmp_path / "rules", bad)


def test_cli_refuses_rule_ids_that_leave_the_rules_folder(
    tmp_path: Path, workspace: Settings, cli, kit
) -> None:
    w = ["-w", str(workspace.root)]
    outside = tmp_path / "x.md"
    outside.write_text("---\nid: R-0001\n---\n")
    bad = str(Path("..") / ".." / "x")
    for args in (
        ("rules", "show", bad),
        ("explain", bad),
        ("review", "approve", bad, "--reason", "r", "--reviewer", "me"),
        ("review", "edit", bad, "--reason", "r", "--reviewer", "me", "--directive", "Run it."),
    ):
        kit.run_cli(cli, *args, *w, code=2)
    assert outside.read_text() == "---\nid: R-0001\n---\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws", "x.md"]
