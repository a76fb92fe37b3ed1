"""The README and the CLI agree: every command has help text and is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from reverie.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[tuple[str, ...]]:
    """Every command path, e.g. ("ingest",), ("sessions", "show")."""
    found: list[tuple[str, ...]] = []

    def walk(group: object, prefix: tuple[str, ...]) -> None:
        for name, command in sorted(getattr(group, "commands", {}).items()):
            path = (*prefix, name)
            if getattr(command, "commands", None):
                walk(command, path)
            else:
                found.append(path)

    walk(typer.main.get_command(app), ())
    return found


def _documented_text() -> str:
    """README and docs/, but not docs/cli.md: that is generated from --help (so it names
    every command), and this test asks that each command is written about by a person."""
    parts = [(ROOT / "README.md").read_text()]
    docs = sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "cli.md")
    parts += [p.read_text() for p in docs]
    return "\n".join(parts)


def test_every_command_has_help_and_is_documented() -> None:
    runner = CliRunner()
    docs = _documented_text()
    commands = _commands()
    assert ("ingest",) in commands and ("sessions", "show") in commands
    for path in commands:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert len(result.output.strip()) > 40, path
        pattern = r"reverie\s+" + r"\s+".join(map(re.escape, path)) + r"\b"
        assert re.search(pattern, docs), f"`reverie {' '.join(path)}` is not in README or docs/"


def test_readme_quickstart_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quickstart", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_native_example_ingests(tmp_path: Path) -> None:
    from reverie.ingest.pipeline import ingest_paths
    from reverie.workspace import Workspace, init_workspace

    readme = (ROOT / "README.md").read_text()
    example = readme.split("```jsonl", 1)[1].split("```", 1)[0].strip()
    path = tmp_path / "native.jsonl"
    path.write_text(example + "\n")
    with Workspace.open(init_workspace(tmp_path / "ws")) as ws:
        summary = ingest_paths(ws, ws.tenant, [path])
    assert summary.formats == {"reverie": 1} and summary.malformed == []
    assert (summary.sessions, summary.events, summary.outcomes) == (1, 2, 1)


def test_readme_python_api_example_runs(
    tmp_path: Path, real_data: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's Python API example runs as written, from a checkout beside ../shared."""
    readme = (ROOT / "README.md").read_text()
    code = readme.split("## Python API", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (tmp_path / "shared").symlink_to(real_data.parent.parent)  # ../shared/data/real
    monkeypatch.chdir(checkout)
    exec(compile(code, "README.md (Python API)", "exec"), {})
    out = capsys.readouterr().out
    assert "ran_first git commit mix format False" in out  # as the example's comment says
    assert (checkout / "ws" / "CLAUDE.md").is_file()


def test_python_examples_in_the_docs_run() -> None:
    """Every ``>>>`` example in a ```python block of docs/mining.md gives what it shows."""
    import doctest

    text = (ROOT / "docs" / "mining.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python")[1:]]
    examples = [b for b in blocks if ">>>" in b]
    assert examples
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for i, block in enumerate(examples):
        test = doctest.DocTestParser().get_doctest(block, {}, f"mining.md[{i}]", None, 0)
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
