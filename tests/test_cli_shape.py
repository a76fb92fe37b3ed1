"""The shape of the command line: fast start, one error boundary, -w before the command,
missing extras named, and docs/cli.md written from --help."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reverie.cli import app
from reverie.cli.common import outer_workspace
from reverie.cli.docs import REGENERATE, cli_markdown
from reverie.cli.exits import exit_code
from reverie.cli.lazy import load_commands, summary
from reverie.cli.root import COMMANDS
from reverie.errors import (
    AuditError,
    ConfigError,
    InputError,
    LLMError,
    ReverieError,
    StoreError,
    UnknownFormatError,
    UnsafeTemplateError,
    WorkspaceBusy,
    WorkspaceNotFound,
)
from reverie.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pydantic", "networkx", "numpy", "yaml", "jinja2", "orjson", "rich.progress")


def _run_python(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def _reverie_without(package: str, *args: str) -> subprocess.CompletedProcess:
    """``reverie ARGS`` in a fresh interpreter where ``import PACKAGE`` fails."""
    code = (
        f"import sys; sys.modules[{package!r}] = None\n"
        "from reverie.cli import main\n"
        "sys.argv = ['reverie', *sys.argv[1:]]\n"
        "main()\n"
    )
    return _run_python(code, *args)


def _native(path: Path, session: str = "s1") -> Path:
    rows = [
        {"reverie": 1, "session": session, "kind": "session", "agent": "bot"},
        {"reverie": 1, "session": session, "kind": "message", "role": "user", "text": "hi"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# -- fast start ------------------------------------------------------------------------
def test_help_loads_no_command_module_and_no_heavy_library() -> None:
    """`reverie --help` lists every command from the static table (lazy loading)."""
    code = (
        "import sys\n"
        "sys.argv = ['reverie', '--help']\n"
        "from reverie.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "mods = sorted(m for m in sys.modules if m.startswith('reverie'))\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print('MODULES', mods, 'HEAVY', heavy, file=sys.stderr)\n"
    )
    done = _run_python(code)
    assert done.returncode == 0, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    loaded = line.split("MODULES ")[1].split(" HEAVY")[0]
    assert line.endswith("HEAVY []"), line
    for entry in {e.module for e in COMMANDS.values()}:
        assert f"'{entry}'" not in loaded, entry
    assert all(name in done.stdout for name in COMMANDS)
    assert "Exit codes" in done.stdout


@pytest.mark.parametrize("module", sorted({e.module for e in COMMANDS.values()}))
def test_command_modules_import_no_heavy_library(module: str) -> None:
    """`reverie COMMAND --help` needs the command's signature only: library code loads when
    the command runs."""
    code = (
        f"import importlib, sys; importlib.import_module({module!r})\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    done = _run_python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", (module, done.stdout)


def test_the_command_table_is_what_the_modules_register() -> None:
    """The listing `reverie --help` prints from COMMANDS is the commands' own first help
    paragraph, and every command a module registers is in the table."""
    registered: dict[str, str] = {}
    for module in {e.module for e in COMMANDS.values()}:
        for name, command in load_commands(module).items():
            registered[name] = module
            assert summary(command.short_help or command.help) == COMMANDS[name].summary, name
    assert registered == {name: e.module for name, e in COMMANDS.items()}


def test_the_help_spells_library_constants_as_the_library_does() -> None:
    from reverie.cli import export as export_cli
    from reverie.cli import rules as rules_cli
    from reverie.render.export import EXPORTS
    from reverie.rulebook.rules import RULE_STATUSES

    assert rules_cli.STATUSES == RULE_STATUSES
    assert export_cli.EXPORTS == EXPORTS


def test_printing_escapes_every_control_character() -> None:
    """SafeConsole's escaper never lets a control character through."""
    from reverie.cli.terminal import printable
    from reverie.controls import CONTROL

    controls = (chr(c) for c in range(0x110000))
    leaked = [hex(ord(c)) for c in controls if CONTROL.match(c) and printable(c) == c]
    assert leaked == []
    assert printable("tab\tand\nnewline, é, 中") == "tab\tand\nnewline, é, 中"
    assert printable("a\x1b[2Jb\u202e") == "a\\x1b[2Jb\\u202e"


# -- one error boundary ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InputError("x"), 2),
        (UnknownFormatError("x"), 2),
        (ConfigError("x"), 2),
        (WorkspaceNotFound("x"), 2),
        (UnsafeTemplateError("x"), 2),
        (StoreError("x"), 2),
        (WorkspaceBusy("x"), 2),
        (AuditError("x"), 1),
        (LLMError("x"), 1),
        (ReverieError("x"), 1),
    ],
)
def test_exit_code_table(error: ReverieError, code: int) -> None:
    assert exit_code(error) == code


def test_an_error_is_printed_once_and_exits_with_its_code(
    workspace: Settings, cli: CliRunner
) -> None:
    w = ["-w", str(workspace.root)]
    missing = cli.invoke(app, ["sessions", "show", "nope", *w])
    assert missing.exit_code == 2 and missing.stdout == ""
    assert missing.stderr.count("error:") == 1 and "no session 'nope'" in missing.stderr
    bad_option = cli.invoke(app, ["rules", "list", "--status", "[b]maybe", *w])
    assert bad_option.exit_code == 2
    assert bad_option.stderr == (
        "error: --status must be one of proposed, approved, rejected, retired, quarantined\n"
    )


def test_a_bug_is_not_swallowed(
    workspace: Settings, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a ReverieError: no `error:` line, the exception itself (Python prints it)."""
    import reverie.rulebook.rules as rules

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(rules, "load_rules", broken)
    result = cli.invoke(app, ["rules", "list", "-w", str(workspace.root)])
    assert isinstance(result.exception, RuntimeError) and result.exit_code == 1
    assert "error:" not in result.output

    def missing_module(*_: object, **__: object) -> None:
        raise ModuleNotFoundError("No module named 'nothere'", name="nothere")

    monkeypatch.setattr(rules, "load_rules", missing_module)
    result = cli.invoke(app, ["rules", "list", "-w", str(workspace.root)])
    assert isinstance(result.exception, ModuleNotFoundError)  # not an extra: a bug


# -- -w before the command -------------------------------------------------------------
def test_workspace_before_the_command(workspace: Settings, cli: CliRunner, tmp_path: Path) -> None:
    w = str(workspace.root)
    ingest = cli.invoke(app, ["-w", w, "ingest", str(_native(tmp_path / "t.jsonl")), "--json"])
    assert ingest.exit_code == 0, ingest.output
    assert json.loads(ingest.stdout)["sessions"] == 1
    listed = cli.invoke(app, ["-w", w, "sessions", "list", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["native_id"] == "s1"
    rules = cli.invoke(app, ["--workspace", w, "rules", "list", "--json"])
    assert rules.exit_code == 0 and json.loads(rules.stdout)
    assert outer_workspace.get() is None  # only for the length of the invocation


def test_workspace_after_the_command_wins(
    workspace: Settings, cli: CliRunner, tmp_path: Path
) -> None:
    nowhere = str(tmp_path / "nowhere")
    w = str(workspace.root)
    assert cli.invoke(app, ["-w", nowhere, "rules", "list", "-w", w]).exit_code == 0
    result = cli.invoke(app, ["-w", w, "stats", "-w", nowhere])
    assert result.exit_code == 2 and "nowhere" in result.stderr


def test_workspace_before_init_is_the_folder_to_make(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["-w", str(tmp_path / "new"), "init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "reverie.toml").is_file()


# -- missing extras --------------------------------------------------------------------
def _assert_names_the_extra(done: subprocess.CompletedProcess, extra: str) -> None:
    assert done.returncode == 2, done.stderr
    assert f"pip install 'reverie[{extra}]'" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr


def test_neo4j_store_without_the_driver(workspace: Settings) -> None:
    config = workspace.root / "reverie.toml"
    config.write_text(
        config.read_text().replace('kind = "embedded"', 'kind = "neo4j"'), encoding="utf-8"
    )
    assert 'kind = "neo4j"' in config.read_text()
    _assert_names_the_extra(_reverie_without("neo4j", "stats", "-w", str(workspace.root)), "neo4j")


@pytest.mark.parametrize(
    ("provider", "package"), [("anthropic", "anthropic"), ("openai", "openai")]
)
def test_llm_distiller_without_its_sdk(workspace: Settings, provider: str, package: str) -> None:
    config = workspace.root / "reverie.toml"
    config.write_text(
        config.read_text() + f'\n[distill]\nprovider = "{provider}"\nmodel = "m-1"\n',
        encoding="utf-8",
    )
    done = _reverie_without(package, "dream", "-w", str(workspace.root))
    _assert_names_the_extra(done, "llm")


def test_eval_plot_without_matplotlib(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reverie.synth import write_corpus

    write_corpus(
        tmp_path / "corpus", sessions=10, steps=6, seed=1, start=datetime(2026, 1, 5, tzinfo=UTC)
    )
    w = str(tmp_path / "ws")
    assert cli.invoke(app, ["init", w]).exit_code == 0
    assert cli.invoke(app, ["-w", w, "ingest", str(tmp_path / "corpus")]).exit_code == 0
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = cli.invoke(app, ["-w", w, "eval", "--plot", str(tmp_path / "drift.png")])
    assert result.exit_code == 2, result.output
    assert "pip install 'reverie[plot]'" in result.stderr
    assert not (tmp_path / "drift.png").exists()


# -- docs/cli.md -----------------------------------------------------------------------
def test_docs_cli_md_is_the_current_help() -> None:
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == cli_markdown(), f"docs/cli.md is stale: run `{REGENERATE}`"
