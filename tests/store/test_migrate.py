"""``reverie migrate``: embedded -> Bolt -> embedded, verified by counts and records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reverie.cli import app
from reverie.ingest.pipeline import ingest_paths
from reverie.settings import Settings
from reverie.store.sqlite import SQLiteStore
from reverie.workspace import Workspace, init_workspace

pytestmark = pytest.mark.bolt


def _env(bolt_target) -> dict[str, str]:  # type: ignore[no-untyped-def]
    if bolt_target.auth is None:
        return {}
    return {"REVERIE_NEO4J_USER": bolt_target.auth[0],
            "REVERIE_NEO4J_PASSWORD": bolt_target.auth[1]}


def test_migrate_to_neo4j_and_back(
    bolt_target, tenant: str, real_data: Path, tmp_path: Path, cli: CliRunner  # type: ignore[no-untyped-def]
) -> None:
    embedded_ws = init_workspace(tmp_path / "ws", tenant=tenant)
    original = SQLiteStore(embedded_ws.db_path)
    summary = ingest_paths(
        Workspace(embedded_ws, store=original), tenant, [real_data / "claude_code"], workers=1
    )
    assert summary.new_events > 0
    original.close()

    args = ["migrate", "--to", "neo4j", "--uri", bolt_target.uri, "-w", str(embedded_ws.root),
            "--tenant", tenant, "--json"]
    if bolt_target.database:
        args += ["--database", bolt_target.database]
    out = cli.invoke(app, args, env=_env(bolt_target))
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["ok"] is True and report["target"]["kind"] == "neo4j"
    (copy,) = report["tenants"]
    assert copy["target"]["events"] == copy["source"]["events"] == summary.new_events
    assert copy["target"]["sessions"] == copy["source"]["sessions"] > 0

    # a workspace configured for the Bolt server migrates back to a new embedded file
    bolt_ws = init_workspace(tmp_path / "ws2", tenant=tenant)
    toml = bolt_ws.root / "reverie.toml"
    database = f'database = "{bolt_target.database}"\n' if bolt_target.database else ""
    toml.write_text(
        toml.read_text().replace(
            'kind = "embedded"', f'kind = "neo4j"\nuri = "{bolt_target.uri}"\n{database}'
        )
    )
    out = cli.invoke(app, ["migrate", "--to", "embedded", "--path", ".reverie/back.db",
                           "-w", str(bolt_ws.root), "--tenant", tenant, "--json"],
                     env=_env(bolt_target))
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["ok"] is True

    first, back = SQLiteStore(embedded_ws.db_path), SQLiteStore(bolt_ws.root / ".reverie/back.db")
    try:
        assert first.stats(tenant) == back.stats(tenant)
        assert list(first.events(tenant)) == list(back.events(tenant))
        assert first.sessions(tenant) == back.sessions(tenant)
        state = first.source_state(tenant, summary_path(first, tenant))
        assert state is not None
        assert back.source_state(tenant, state.path) == state
    finally:
        first.close()
        back.close()


def summary_path(store: SQLiteStore, tenant: str) -> str:
    return next(iter(store.events(tenant))).source.file


def test_migrate_to_the_same_kind_is_refused(workspace: Settings, cli: CliRunner) -> None:
    out = cli.invoke(app, ["migrate", "--to", "embedded", "-w", str(workspace.root)])
    assert out.exit_code == 2
    assert "already 'embedded'" in out.output
