"""Tenant isolation end to end: two tenants whose sessions share identical errors.

The same transcript files are ingested under tenant ``a`` and tenant ``b``;
tenant ``b`` also has sessions of its own agent (``bee-secret``) that carry a
unique marker. Mining, dream, the rule book, render, explain, export and
forget for ``a`` must show nothing of ``b``: ids, sessions and agents are
disjoint, and ``b``'s marker never appears in ``a``'s output. Both tenants
also format before committing, which merges into the shared seeded rule
R-0001: each tenant's evidence stays in its own audit log, and explaining
R-0001 for ``a`` shows ``a``'s lines only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.rulebook.rules import find_rule, load_rules
from reverie.settings import Settings
from reverie.store import open_store

MARKER_B = "TENANTB-ONLY-55e1c0de"
NPM_ERROR = "npm ERR! Error: Cannot find module 'left-pad'\nRequire stack:\n- /app/index.js"


@pytest.fixture
def two_tenants(tmp_path: Path, workspace: Settings, cli, kit):
    ws = workspace.root
    shared, own_b = tmp_path / "shared", tmp_path / "only_b"
    for i in range(4):
        agent = ("alpha", "beta")[i % 2]
        t = kit.Transcript(kit.session_id(f"shared-{i}"), f"/work/{agent}")
        kit.format_motif(kit.credo_motif(t.user(f"Fix build {i}"))).write(shared / agent)
    for i in range(3):
        t = kit.Transcript(kit.session_id(f"b-own-{i}"), "/work/bee-secret")
        t.user(f"Deploy {MARKER_B} build {i}")
        t.bash("npm test", f"{NPM_ERROR}\nbuild {MARKER_B}", error=True)
        t.bash("npm install left-pad", "added 1 package")
        t.bash("npm test", "1 passing")
        kit.format_motif(kit.credo_motif(t), f"\nlib/{MARKER_B}.ex").write(own_b / "bee-secret")
    kit.set_toml(ws, "dream", "auto_approve", "true")
    kit.set_toml(ws, "dream", "auto_approve_confidence", "0.1")
    kit.set_toml(ws, "dream", "auto_approve_trust", "0.1")
    kit.set_toml(ws, "mine", "min_agents", "1")
    w = ["-w", str(ws)]
    kit.run_cli(cli, "ingest", str(shared), "-t", "a", *w, "--json")
    kit.run_cli(cli, "ingest", str(shared), "-t", "b", *w, "--json")
    kit.run_cli(cli, "ingest", str(own_b), "-t", "b", *w, "--json")
    out = {}
    for tenant in ("a", "b"):
        t = ["-t", tenant, *w]
        out[tenant] = {
            "motifs": json.loads(kit.run_cli(cli, "motifs", *t, "--json")),
            "dream": json.loads(kit.run_cli(cli, "dream", *t, "--json")),
        }
        out[tenant]["rules"] = json.loads(kit.run_cli(cli, "rules", "list", *t, "--json"))
    for tenant in ("a", "b"):
        t = ["-t", tenant, *w]
        out[tenant]["render"] = kit.run_cli(cli, "render", "claude_md", *t)
        out[tenant]["render_json"] = json.loads(
            kit.run_cli(cli, "render", "system_prompt", *t, "--json")
        )
    return {"ws": ws, "out": out, "w": w, "settings": workspace}


def _mined(rules: list[dict]) -> list[dict]:
    return [r for r in rules if not r["seeded"]]


def test_store_reads_never_cross(two_tenants) -> None:
    store = open_store(two_tenants["settings"])
    try:
        sa, sb = store.sessions("a"), store.sessions("b")
        assert len(sa) == 4 and len(sb) == 7
        assert {s.native_id for s in sa} < {s.native_id for s in sb}  # same files ...
        assert not {s.id for s in sa} & {s.id for s in sb}  # ... different nodes
        assert {s.agent for s in sa} == {"alpha", "beta"}
        ev_a = list(store.events("a"))
        assert {e.session_id for e in ev_a} == {s.id for s in sa}
        assert not any(MARKER_B in (e.text or "") for e in ev_a)
        assert any(MARKER_B in (e.text or "") for e in store.events("b"))
        assert all(store.find_session("a", s.id) is None for s in sb)
        assert {x for m in store.motifs("a") for x in m.sessions} <= {s.id for s in sa}
        assert store.stats("a").sessions == 4 and store.stats("b").sessions == 7
    finally:
        store.close()


def test_mining_and_dream_of_a_show_nothing_of_b(two_tenants) -> None:
    a, b = two_tenants["out"]["a"], two_tenants["out"]["b"]
    assert a["motifs"] and b["motifs"]
    assert not {m["id"] for m in a["motifs"]} & {m["id"] for m in b["motifs"]}
    sessions_a = {s for m in a["motifs"] for s in m["sessions"]}
    sessions_b = {s for m in b["motifs"] for s in m["sessions"]}
    assert sessions_a and not sessions_a & sessions_b
    assert {x for m in a["motifs"] for x in m["agents"]} <= {"alpha", "beta"}
    assert "bee-secret" in {x for m in b["motifs"] for x in m["agents"]}
    for key in ("motifs", "dream"):
        text = json.dumps(a[key])
        assert MARKER_B not in text and "bee-secret" not in text
        assert not any(s in text for s in sessions_b)
    assert all(m["tenant"] == "a" for m in a["motifs"])
    assert a["dream"]["tenant"] == "a" and a["dream"]["counts"].get("propose")


def test_rule_files_carry_their_tenant_and_other_tenants_rules_are_invisible(
    two_tenants, kit, cli
) -> None:
    ws, w = two_tenants["ws"], two_tenants["w"]
    a_rules = _mined(two_tenants["out"]["a"]["rules"])
    b_rules = _mined(two_tenants["out"]["b"]["rules"])
    assert a_rules and b_rules
    a_ids, b_ids = {r["id"] for r in a_rules}, {r["id"] for r in b_rules}
    assert not a_ids & b_ids
    assert all(r["scope"]["tenant"] == "a" for r in a_rules)
    assert all(r["scope"]["tenant"] == "b" for r in b_rules)
    for rid in b_ids:
        assert "tenant: b" in (ws / "rules" / f"{rid}.md").read_text()
    loaded = load_rules(ws / "rules", tenant="a")
    assert {r.id for r in loaded if not r.seeded} == a_ids
    assert {r.scope.tenant for r in loaded} <= {"a", "*"}
    text_a = json.dumps(two_tenants["out"]["a"]["rules"])
    assert MARKER_B not in text_a and "bee-secret" not in text_a
    for rid in b_ids:
        with pytest.raises(Exception, match="tenant"):
            find_rule(ws / "rules", rid, tenant="a")
        for args in (("rules", "show", rid), ("explain", rid), ("review", "approve", rid)):
            extra = ("--reason", "x", "--reviewer", "r") if args[0] == "review" else ()
            kit.run_cli(cli, *args, "-t", "a", *w, *extra, code=2)


def test_render_and_explain_of_a_show_nothing_of_b(two_tenants, kit, cli) -> None:
    w, out = two_tenants["w"], two_tenants["out"]
    b_ids = {r["id"] for r in _mined(out["b"]["rules"])}
    a_ids = {r["id"] for r in _mined(out["a"]["rules"]) if r["status"] == "approved"}
    assert a_ids, "the auto-approve policy should have approved tenant a's rule"
    for text in (out["a"]["render"], json.dumps(out["a"]["render_json"])):
        assert MARKER_B not in text and "bee-secret" not in text
        assert not any(f"{rid} v" in text or f"explain {rid}" in text for rid in b_ids)
        assert all(rid in text for rid in a_ids)
    assert any(rid in out["b"]["render"] for rid in b_ids)
    sessions_b = {s for m in out["b"]["motifs"] for s in m["sessions"]}
    for rid in a_ids:
        text = kit.run_cli(cli, "explain", rid, "-t", "a", *w, "--json")
        assert MARKER_B not in text and not any(s in text for s in sessions_b)
    b_hash = out["b"]["render_json"]["record"]["hash"]
    kit.run_cli(cli, "explain", "--render", b_hash, "-t", "a", *w, code=2)
    kit.run_cli(cli, "explain", "--render", b_hash, "-t", "b", *w)


def test_a_seeded_rule_explains_each_tenant_its_own_merged_evidence(two_tenants, kit, cli) -> None:
    w, out, ws = two_tenants["w"], two_tenants["out"], two_tenants["ws"]
    for tenant in ("a", "b"):
        merged = [d for d in out[tenant]["dream"]["decisions"]
                  if d["action"] == "merge_into_seeded"]  # fmt: skip
        assert [d["rule_id"] for d in merged] == ["R-0001"], tenant
    assert "tenant: '*'" in (ws / "rules" / "R-0001.md").read_text()
    assert MARKER_B not in (ws / "rules" / "R-0001.md").read_text()
    sessions_b = {s for m in out["b"]["motifs"] for s in m["sessions"]}
    text_a = kit.run_cli(cli, "explain", "R-0001", "-t", "a", *w, "--json")
    explained = json.loads(text_a)
    assert explained["merged"] and all(m["tenant"] == "a" for m in explained["merged"])
    assert explained["occurrences"] and {a["tenant"] for a in explained["audit"]} == {"a"}
    assert MARKER_B not in text_a and "bee-secret" not in text_a
    assert not any(s in text_a for s in sessions_b)
    text_b = kit.run_cli(cli, "explain", "R-0001", "-t", "b", *w, "--json")
    assert MARKER_B in text_b  # b's own lines are there for b: the check can fail


def test_export_and_forget_of_a_leave_b_alone(two_tenants, kit, cli, tmp_path: Path) -> None:
    w, ws = two_tenants["w"], two_tenants["ws"]
    target = tmp_path / "CLAUDE.md"
    kit.run_cli(cli, "export", "claude-md", "--into", str(target), "-t", "a", *w)
    assert MARKER_B not in target.read_text() and "bee-secret" not in target.read_text()
    b_ids = {r["id"] for r in _mined(two_tenants["out"]["b"]["rules"])}
    b_files = {rid: (ws / "rules" / f"{rid}.md").read_bytes() for rid in b_ids}
    report = json.loads(kit.run_cli(cli, "forget", "--agent", "alpha", "-t", "a", *w, "--json"))
    assert report["tenant"] == "a" and len(report["sessions"]) == 2
    store = open_store(two_tenants["settings"])
    try:
        b_alpha = store.sessions("b", agent="alpha")
        assert len(b_alpha) == 2 and all(s.task and "erased" not in s.attrs for s in b_alpha)
        b_events = [e for s in b_alpha for e in store.events("b", session_id=s.id)]
        assert b_events and not any("erased" in e.flags for e in b_events)
        assert sum(e.text is not None for e in b_events) >= len(b_events) // 2
        assert {s.id for s in store.sessions("a") if "erased" in s.attrs} == set(report["sessions"])
    finally:
        store.close()
    assert b_files == {rid: (ws / "rules" / f"{rid}.md").read_bytes() for rid in b_ids}
    assert report["decisions"] and all(d["rule_id"] not in b_ids for d in report["decisions"])
