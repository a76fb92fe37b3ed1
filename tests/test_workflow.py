"""One curation workflow (``reverie.workflow.curate``) and the ``Workspace`` it runs on.

``reverie dream``, the demo, ``forget`` and evaluation's training part all run
:func:`~reverie.workflow.curate`; these tests pin what they now share: erased
sessions are tombstones, never live evidence, on every path.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reverie.cli import app
from reverie.demo import run_demo
from reverie.errors import ConfigError
from reverie.rulebook.rules import Rule, load_rules
from reverie.settings import Settings
from reverie.store.base import live_session_ids
from reverie.synth import write_corpus
from reverie.testing.planted import write_planted
from reverie.workflow import curate
from reverie.workspace import Workspace, init_workspace


def _mined_rules(root: Path, tenant: str) -> dict[str, Rule]:
    return {r.id: r for r in load_rules(root / "rules", tenant) if not r.seeded}


def _state(rule: Rule) -> tuple[Any, ...]:
    """What the evidence handling decides about a rule (no ids of time or order)."""
    return (rule.status, sorted(rule.evidence.sessions), rule.evidence.support,
            sorted(f.kind for f in rule.flags))


def test_the_demo_treats_erased_sessions_as_reverie_dream_does(
    tmp_path: Path, cli: CliRunner
) -> None:
    """Erase every evidence session of one rule, then run the demo path and ``reverie dream``
    on twin copies of the workspace: both drop the erased sessions from the rule's evidence
    (the demo used to count tombstones as live sessions and kept them)."""
    sessions = tmp_path / "sessions"
    write_corpus(sessions, sessions=12, steps=25, agents=3, seed=3)
    root = tmp_path / "demo"
    first = run_demo(root, sessions)
    tenant = "demo"
    rules = _mined_rules(root, tenant)
    assert first.motifs > 0 and rules
    target = max(rules.values(), key=lambda r: (len(r.evidence.sessions), r.id))
    erased = sorted(target.evidence.sessions)
    with Workspace.open(root) as ws:
        ws.store.erase(tenant, erased, {"erasure": "test"})  # what `reverie forget` does first
        assert not set(erased) & live_session_ids(ws.store, tenant)
    twin = tmp_path / "twin"
    shutil.copytree(root, twin)

    again = run_demo(root, sessions)
    result = cli.invoke(app, ["dream", "--workspace", str(twin), "--json"])
    assert result.exit_code == 0, result.output

    after = _mined_rules(root, tenant)[target.id]
    assert not set(erased) & set(after.evidence.sessions)
    dropped = [h for h in after.history if h.action == "erase_evidence"]
    assert dropped and sorted(dropped[-1].details["sessions"]) == erased
    assert again.dream.get("erase_evidence", 0) >= 1
    cli_counts = json.loads(result.output)["counts"]
    assert cli_counts.get("erase_evidence") == again.dream.get("erase_evidence")
    assert {k: _state(r) for k, r in _mined_rules(root, tenant).items()} == {
        k: _state(r) for k, r in _mined_rules(twin, tenant).items()
    }


def test_curate_reports_its_stages_and_prints_nothing(
    workspace: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[str, int, int | None]] = []
    with Workspace.open(workspace) as ws:
        events = write_planted(ws.store, ws.tenant, sessions=8, steps=20, seed=5)
        before = sorted(p.name for p in ws.rules_dir.iterdir())
        dry = curate(ws, ws.tenant, now=datetime.now(UTC), dry_run=True,
                     progress=lambda *call: calls.append(call))
        assert sorted(p.name for p in ws.rules_dir.iterdir()) == before  # dry run: no writes
        report = curate(ws, ws.tenant, now=datetime.now(UTC))
    assert dry.decisions and dry.counts() == report.counts()
    assert capsys.readouterr() == ("", "")
    mining = [c for c in calls if c[0] == "mining"]
    assert mining[0] == ("mining", 0, events)
    assert sum(n for _, n, _ in mining) == events
    assert calls[len(mining):] == [("dreaming", 0, dry.motifs), ("dreaming", dry.motifs,
                                                                 dry.motifs)]


class _FakeStore:
    closed = 0

    def close(self) -> None:
        self.closed += 1


def test_the_workspace_opens_its_store_on_first_use_and_closes_it(
    workspace: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[_FakeStore] = []

    def fake_open(settings: Settings) -> _FakeStore:
        opened.append(_FakeStore())
        return opened[-1]

    monkeypatch.setattr("reverie.store.open_store", fake_open)
    with Workspace.open(workspace.root) as ws:
        assert (ws.settings, ws.rules_dir, ws.audit.state_dir) == (
            workspace, workspace.rules_dir, workspace.state_dir)
        assert opened == []
        assert ws.store is ws.store is opened[0]
    assert opened[0].closed == 1

    mine = _FakeStore()
    with Workspace(workspace, store=mine) as ws:  # a store passed in is the caller's
        assert ws.store is mine
        scratch = ws.scratch(workspace.root / "scratch")
        assert scratch.store is mine and scratch.rules_dir == workspace.root / "scratch" / "rules"
    assert mine.closed == 0 and len(opened) == 1


def test_an_unregistered_store_kind_fails_when_the_store_is_opened(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root)
    config = root / "reverie.toml"
    config.write_text(config.read_text().replace('kind = "embedded"', 'kind = "cassandra"'))
    with Workspace.open(root) as ws:  # settings load: a kind is any registered name
        assert ws.settings.store.kind == "cassandra"
        with pytest.raises(ConfigError, match=r"'cassandra'.*registered kinds.*embedded"):
            ws.store  # noqa: B018
