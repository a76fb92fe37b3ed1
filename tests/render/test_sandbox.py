"""Workspace templates render in jinja2's immutable sandbox (issue 14, finding 7).

A template in the workspace's ``prompts/`` is input, not trusted code: a
payload such as ``{{ cycler.__init__.__globals__.os.popen('id').read() }}``
used to run its command. Now every template (render templates and the distill
prompts) fails with :class:`~reverie.errors.UnsafeTemplateError` naming the
file, the CLI exits 2, and the command never runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reverie.cli import app
from reverie.models import Motif
from reverie.workspace import init_workspace

CREDO = (
    "Exit code 1\nPre-commit validation failed: [CREDO] Found 3 refactoring opportunities.\n"
    "Run the strict checks and commit again."
)


def _payloads(marker: Path) -> list[str]:
    """Template expressions that ran ``touch MARKER`` (or reached Python internals)."""
    touch = f"'touch {marker}'"
    return [
        f"{{{{ cycler.__init__.__globals__.os.popen({touch}).read() }}}}",
        f"{{{{ joiner.__init__.__globals__['os'].system({touch}) }}}}",
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}"
        f"{{% if c.__name__ == 'Popen' %}}{{{{ c(['touch', '{marker}']) }}}}{{% endif %}}"
        "{% endfor %}",
    ]


def _motif() -> Motif:
    return Motif(
        id="m", tenant="default", tool="Bash", program="git commit", kind="exit_code",
        template="Pre-commit validation failed: [CREDO] Found <NUM> refactoring opportunities.",
        signature_ids=["s"], sessions=["a", "b", "c"], agents=["x", "y"], support=3,
        trust_support=1.8,
    )  # fmt: skip


@pytest.mark.parametrize("which", [0, 1, 2])
def test_a_render_template_cannot_run_commands(tmp_path: Path, cli: CliRunner, which: int) -> None:
    root = init_workspace(tmp_path / "ws").root
    marker = tmp_path / "PWNED"
    (root / "prompts" / "evil.md.j2").write_text(
        "# rules\n" + _payloads(marker)[which] + "\n", encoding="utf-8"
    )
    result = cli.invoke(app, ["render", "evil", "-w", str(root)])
    assert result.exit_code == 2, result.output
    assert not marker.exists()
    message = " ".join(result.stderr.split())
    assert f"{root / 'prompts' / 'evil.md.j2'}:" in message and "sandbox forbids" in message
    export = cli.invoke(app, ["export", "claude-md", "--into", str(tmp_path / "C.md"),
                              "-w", str(root)])  # fmt: skip
    assert export.exit_code == 0, export.output  # the shipped templates still render


def test_a_template_cannot_change_the_data_it_is_given(tmp_path: Path) -> None:
    from reverie.errors import UnsafeTemplateError
    from reverie.render.prompt import render

    path = tmp_path / "mutate.md.j2"
    path.write_text("{{ rules.append(1) }}{{ rules | length }}\n", encoding="utf-8")
    with pytest.raises(UnsafeTemplateError) as err:
        render(str(path), [], tenant="default")
    assert err.value.file == str(path)


def test_a_distill_prompt_cannot_run_commands(tmp_path: Path) -> None:
    from reverie.errors import ConfigError, UnsafeTemplateError
    from reverie.rulebook.distill import TemplateDistiller
    from reverie.rulebook.distill_llm import LLMDistiller

    root = init_workspace(tmp_path / "ws").root
    marker = tmp_path / "PWNED"
    for name in ("directive.j2", "evidence.j2"):
        (root / "prompts" / "distill" / name).write_text(
            _payloads(marker)[0] + "\n", encoding="utf-8"
        )
    with pytest.raises(UnsafeTemplateError) as err:
        TemplateDistiller(root).distill(_motif(), [])
    assert err.value.file == str(root / "prompts" / "distill" / "directive.j2")
    assert isinstance(err.value, ConfigError)
    llm = LLMDistiller(None, cache_dir=tmp_path / "cache", workspace=root)
    with pytest.raises(UnsafeTemplateError, match=r"distill/evidence\.j2: "):
        llm.prompt(_motif(), [])
    assert not marker.exists()


def test_dream_stops_at_a_hostile_distill_prompt(tmp_path: Path, cli: CliRunner) -> None:
    root = init_workspace(tmp_path / "ws").root
    marker = tmp_path / "PWNED"
    (root / "prompts" / "distill" / "directive.j2").write_text(
        _payloads(marker)[0] + "\n", encoding="utf-8"
    )
    rows = []
    for i in range(4):
        sid = f"s{i}"
        rows.append({"reverie": 1, "session": sid, "kind": "session", "agent": f"agent-{i % 2}"})
        for n, (cmd, out, err) in enumerate([
            ("git commit -m wip", CREDO, True), ("mix credo --strict", "", False),
            ("git commit -m wip", "[main 1a2b3c4] wip", False),
        ]):  # fmt: skip
            rows.append({"reverie": 1, "session": sid, "kind": "tool_call", "tool": "Bash",
                         "input": {"command": cmd}, "call_id": f"c{n}"})  # fmt: skip
            rows.append({"reverie": 1, "session": sid, "kind": "tool_result",
                         "call_id": f"c{n}", "text": out, "is_error": err})  # fmt: skip
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert cli.invoke(app, ["ingest", str(corpus), "-w", str(root)]).exit_code == 0
    result = cli.invoke(app, ["dream", "-w", str(root)])
    assert result.exit_code != 0 and not marker.exists()
    message = " ".join(result.stderr.split())
    assert "directive.j2" in message and "sandbox forbids" in message
