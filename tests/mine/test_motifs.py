"""Mining a store: planted motifs found (recall and precision), real pre-commit motifs, CLI."""

from __future__ import annotations

import orjson
import pytest

from reverie.cli import app
from reverie.ingest.pipeline import ingest_paths
from reverie.mine import mine
from reverie.models import Motif
from reverie.testing.planted import AGENTS, NEAR_MISS, PLANTED, Planted, write_planted
from reverie.workspace import Workspace


def _matches(m: Motif, p: Planted) -> bool:
    return m.tool == p.tool and m.program == p.program and p.marker in m.template


def test_planted_motifs_are_found_with_full_recall_and_precision(store):
    write_planted(store, "acme", sessions=24, steps=30, seed=7)
    motifs = mine(store, "acme", min_sessions=3, min_agents=2)
    found = {p.name for p in PLANTED if any(_matches(m, p) for m in motifs)}
    assert found == {p.name for p in PLANTED}  # recall 1.0
    assert all(any(_matches(m, p) for p in PLANTED) for m in motifs)  # precision 1.0
    assert len(motifs) == len(PLANTED)
    assert not any(_matches(m, NEAR_MISS) for m in motifs)
    for m in motifs:
        assert len(m.sessions) == 8 and m.support == 8
        assert set(m.agents) <= set(AGENTS) and len(m.agents) >= 2 and m.cross_agent
        assert m.examples and all(x["file"] and x["line"] > 0 for x in m.examples)
    by_name = {p.name: next(m for m in motifs if _matches(m, p)) for p in PLANTED}
    assert by_name["git-push-upstream"].recovery["fix"] == "added `--set-upstream`"
    assert by_name["npm-test-failed"].recovery["fix"] == "ran `npm install` first"
    assert by_name["edit-not-found"].recovery["fix"] == (
        # the new old_string was copied from what Read showed
        "ran `Read` first; changed `old_string`; took `old_string` from `Read`"
    )
    assert by_name["user-no-rm"].kind == "correction"
    # sessions with the pytest motif are exactly the failed ones: lift = 1 / P(failed)
    assert by_name["pytest-module"].lift == 3.0
    assert by_name["npm-test-failed"].lift == 0.0


def test_near_miss_becomes_a_motif_at_a_lower_threshold_but_noise_never(store):
    write_planted(store, "acme", sessions=24, steps=30, seed=7)
    motifs = mine(store, "acme", min_sessions=2, min_agents=2)
    assert sum(_matches(m, NEAR_MISS) for m in motifs) == 1
    assert not any(m.template.startswith("tool") or "sideways" in m.template for m in motifs)


def test_motif_ids_are_stable_and_a_rerun_replaces_results(store):
    write_planted(store, "acme", sessions=12, steps=20, seed=2)
    first = mine(store, "acme", min_sessions=2)
    count = n_failures(store, "acme")
    second = mine(store, "acme", min_sessions=2)
    assert first and [m.id for m in first] == [m.id for m in second]
    assert [m.model_dump() for m in store.motifs("acme")] == [m.model_dump() for m in second]
    assert n_failures(store, "acme") == count > 0


def n_failures(store, tenant: str) -> int:
    return store._conn.execute(
        "SELECT count(*) FROM mine_failures WHERE tenant = ?", (tenant,)
    ).fetchone()[0]


def test_tenants_do_not_see_each_others_failures(store):
    write_planted(store, "acme", sessions=12, steps=20, seed=2)
    write_planted(store, "other", sessions=4, steps=10, seed=5)
    mine(store, "acme", min_sessions=2)
    assert mine(store, "other", min_sessions=5) == []
    assert store.motifs("other") == []
    assert store.motifs("acme")  # mining "other" left acme's results alone
    assert all(m.tenant == "acme" for m in store.motifs("acme"))
    sessions = {s.id for s in store.sessions("other")}
    assert all(set(m.sessions).isdisjoint(sessions) for m in store.motifs("acme"))


@pytest.fixture
def claude_store(workspace, store, real_data):
    space = Workspace(workspace, store=store)
    summary = ingest_paths(space, space.tenant, [real_data / "claude_code"])
    assert summary.sessions >= 5 and not summary.errors
    return store


def test_real_claude_code_pre_commit_failures_are_motifs(workspace, claude_store):
    motifs = mine(claude_store, workspace.tenant, min_sessions=2)
    hooks = [m for m in motifs if m.template.startswith("Pre-commit validation failed")]
    by_check = {m.template.split("[")[1].split("]")[0]: m for m in hooks}
    assert set(by_check) == {"FORMAT", "CREDO", "DIALYZER"}
    assert "Run 'mix format' to fix" in by_check["FORMAT"].template
    assert sum(m.support for m in hooks) == 16
    assert {k: m.support for k, m in by_check.items()} == {"FORMAT": 2, "CREDO": 4, "DIALYZER": 10}
    assert all(len(m.sessions) == 2 and m.tool == "Bash" and m.program == "git commit"
               for m in hooks)
    assert by_check["FORMAT"].recovery["fix"] == "ran `mix format` first"
    # errors seen once (no upstream branch, .gitignore'd path, permission denied) are no motifs
    assert all(len(m.sessions) >= 2 for m in motifs)
    once = ("no upstream branch", "ignored by one of your .gitignore", "permission denied")
    assert not any(p in m.template for m in motifs for p in once)


def test_motifs_cli_json(workspace, claude_store, cli):
    claude_store.close()
    result = cli.invoke(app, ["motifs", "-w", str(workspace.root), "--min-sessions", "2",
                              "--json"])
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    keys = {"id", "tool", "program", "template", "kind", "sessions", "agents", "support",
            "trust_support", "recovery", "examples", "cost"}
    assert data and all(keys <= set(m) for m in data)
    assert [m["score"] for m in data] == sorted((m["score"] for m in data), reverse=True)
    assert any("[DIALYZER]" in m["template"] for m in data)
    high = cli.invoke(app, ["motifs", "-w", str(workspace.root), "--min-sessions", "3",
                            "--json"])
    assert orjson.loads(high.stdout) == []
    table = cli.invoke(app, ["motifs", "-w", str(workspace.root), "--min-sessions", "2"])
    assert table.exit_code == 0 and "Pre-commit" in table.stdout
