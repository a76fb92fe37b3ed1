"""Erasure end to end: ``reverie forget`` removes a session's text from every byte of the
workspace, keeps a tombstone tied to the audit, and a rule it fed loses its support.

The corpus (written by the test) has two motifs:

- "commit before the strict credo check" in 6 sessions (alpha a1-a4, beta b1-b2): after
  erasing a1 it still recurs, with lower support;
- "npm test: Cannot find module" in exactly 3 sessions (a1, a2, b1): after
  erasing a1 it falls below ``min_sessions`` = 3, so its rule gets a
  retirement proposal.

Session a1 carries a unique marker in its task, a file it writes, a tool
output and its failing output; a reviewer quotes it in an approval reason
(audit log and rule history) and in a rule's notes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.forget.erase import forget, live_session_ids
from reverie.rulebook.rules import load_rule, load_rules
from reverie.settings import Settings
from reverie.store import GraphStore, open_store
from reverie.workspace import Workspace

MARKER = "QUOKKA-7f3a9c1e-MARKER"
NPM_ERROR = "npm ERR! Error: Cannot find module 'left-pad'\nRequire stack:\n- /app/index.js"


def _corpus(kit, root: Path) -> dict[str, str]:
    """Write the sessions; return native session id by name."""
    ids = {}
    for name, agent in [("a1", "alpha"), ("a2", "alpha"), ("a3", "alpha"), ("a4", "alpha"),
                        ("b1", "beta"), ("b2", "beta")]:  # fmt: skip
        sid = ids[name] = kit.session_id(f"erasure-{name}")
        t = kit.Transcript(sid, f"/work/{agent}")
        secret = name == "a1"
        t.user(f"Ship release {MARKER} today" if secret else f"Ship release {name} today")
        if secret:
            t.tool(
                "Write",
                {"file_path": "/work/alpha/notes.md", "content": f"owner: {MARKER}\n"},
                "File created successfully",
                False,
            )
            t.bash("cat notes.md", f"owner: {MARKER}")
        kit.credo_motif(t, f"\nchecked lib/{MARKER}.ex" if secret else "")
        if name in ("a1", "a2", "b1"):
            t.bash("npm test", NPM_ERROR, error=True)
            t.bash("npm install left-pad", "added 1 package", error=False)
            t.bash("npm test", "1 passing", error=False)
        t.write(root / agent)
    return ids


def _audit(ws: Path) -> list[dict]:
    return [json.loads(line) for line in (ws / ".reverie" / "audit.jsonl").read_text().splitlines()]


def _rule_ids(kit, cli, ws: Path) -> dict[str, str]:
    rules = json.loads(kit.run_cli(cli, "rules", "list", "-w", str(ws), "--json"))
    mined = {r["id"]: r for r in rules if not r["seeded"]}
    credo = next(i for i, r in mined.items() if r["directive"] == kit.CREDO_DIRECTIVE)
    npm = next(i for i, r in mined.items() if "npm" in r["directive"] or "left-pad" in r["because"])
    return {"credo": credo, "npm": npm}


@pytest.fixture
def erased_ws(tmp_path: Path, workspace: Settings, cli, kit):
    """The workspace before and after forgetting a1 (CLI all the way)."""
    ws = workspace.root
    ids = _corpus(kit, tmp_path / "corpus")
    kit.run_cli(cli, "ingest", str(tmp_path / "corpus"), "-w", str(ws), "--json")
    kit.run_cli(cli, "dream", "-w", str(ws), "--json")
    rules = _rule_ids(kit, cli, ws)
    for rid in rules.values():
        kit.run_cli(cli, "review", "approve", rid, "-w", str(ws), "--reviewer", "rita",
                    "--reason", f"checked against session {MARKER}")  # fmt: skip
    path = ws / "rules" / f"{rules['credo']}.md"
    path.write_text(path.read_text() + f"\n## Notes\n\nFirst seen in release {MARKER}.\n")
    load_rule(path)  # still a valid rule file
    kit.run_cli(cli, "render", "claude_md", "-w", str(ws), "-o", str(ws / "CLAUDE.md"))
    before = {k: load_rule(ws / "rules" / f"{v}.md") for k, v in rules.items()}
    holding = kit.files_holding(ws, MARKER.encode())
    out = kit.run_cli(cli, "forget", "--session", ids["a1"], "--reason", "erasure request 42",
                      "-w", str(ws), "--json")  # fmt: skip
    return {"ws": ws, "ids": ids, "rules": rules, "before": before, "holding": holding,
            "report": json.loads(out)}  # fmt: skip


def test_marker_is_gone_from_every_byte_of_the_workspace(erased_ws, kit) -> None:
    ws = erased_ws["ws"]
    held = erased_ws["holding"]
    assert any(h.startswith(".reverie/reverie.db") for h in held), held  # the test can fail
    assert any(h.startswith("rules/") for h in held) and ".reverie/audit.jsonl" in held
    assert kit.files_holding(ws, MARKER.encode()) == []
    assert kit.files_holding(ws, b"QUOKKA-7f3a9c1e") == []
    assert erased_ws["report"]["residue"] == []
    assert not (ws / ".reverie" / "reverie.db-wal").exists() or (
        (ws / ".reverie" / "reverie.db-wal").stat().st_size == 0
    )


def test_rule_loses_support_and_one_gets_a_retirement_proposal(erased_ws, kit, cli) -> None:
    ws, rules, before, report = (erased_ws[k] for k in ("ws", "rules", "before", "report"))
    credo = load_rule(ws / "rules" / f"{rules['credo']}.md")
    npm = load_rule(ws / "rules" / f"{rules['npm']}.md")
    erased = report["sessions"]
    assert len(erased) == 1
    # the credo rule keeps going, with less support and without the erased session
    assert credo.evidence.support < before["credo"].evidence.support
    assert len(credo.evidence.sessions) == len(before["credo"].evidence.sessions) - 1
    assert erased[0] not in credo.evidence.sessions and not credo.open_flags("retire")
    # the npm rule fell below min_sessions: a retirement proposal, in history and audit
    assert erased[0] in before["npm"].evidence.sessions
    assert len(npm.evidence.sessions) == 2 and npm.open_flags("retire")
    assert "below the threshold" in npm.open_flags("retire")[0].reason
    assert [h.action for h in npm.history][-2:] == ["erase_evidence", "propose_retirement"]
    assert report["retirements"] == [rules["npm"]]
    audit = _audit(ws)
    assert any(a["action"] == "propose_retirement" and a["rule_id"] == rules["npm"] for a in audit)
    kit.run_cli(cli, "audit", "verify", "-w", str(ws))
    # a later dream keeps the proposal and does not bring the erased session back
    kit.run_cli(cli, "dream", "-w", str(ws), "--json")
    again = load_rule(ws / "rules" / f"{rules['npm']}.md")
    assert again.open_flags("retire") and erased[0] not in again.evidence.sessions


def test_tombstones_keep_structure_and_point_to_the_audit_entry(erased_ws, workspace) -> None:
    ws, report = erased_ws["ws"], erased_ws["report"]
    audit = _audit(ws)
    entry = next(a for a in audit if a["action"] == "erase")
    assert entry["seq"] == report["audit_seq"] and entry["reason"] == "erasure request 42"
    assert entry["details"]["sessions"] == report["sessions"]
    store = open_store(workspace)
    try:
        sid = report["sessions"][0]
        events = list(store.events("default", session_id=sid))
        assert len(events) == report["erased"]["events"] > 10
        assert {e.kind for e in events} == {"message", "tool_call", "tool_result"}
        assert all(e.text is None and e.tool_input is None for e in events)
        assert all(e.attrs["erased"]["audit_seq"] == entry["seq"] for e in events)
        assert all(e.timestamp is not None for e in events)
        session = store.find_session("default", sid)
        assert session is not None and session.task is None
        assert sid not in live_session_ids(store, "default")
        assert len(live_session_ids(store, "default")) == 5
        motif_sessions = {s for m in store.motifs("default") for s in m.sessions}
        assert sid not in motif_sessions and motif_sessions
    finally:
        store.close()


def test_explain_still_works_and_shows_no_erased_text(erased_ws, kit, cli) -> None:
    ws, rules = erased_ws["ws"], erased_ws["rules"]
    for rid in rules.values():
        out = kit.run_cli(cli, "explain", rid, "-w", str(ws), "--json")
        assert MARKER not in out and rid in out


def test_forget_by_agent_and_source_and_errors(tmp_path: Path, workspace: Settings, kit) -> None:
    ids = _corpus(kit, tmp_path / "corpus")
    from reverie.ingest.pipeline import ingest_paths

    store = open_store(workspace)
    try:
        ws = Workspace(workspace, store=store)
        ingest_paths(ws, ws.tenant, [tmp_path / "corpus"])
        from datetime import UTC, datetime

        now = datetime(2026, 2, 1, tzinfo=UTC)
        dry = forget(ws, "default", agent="beta", now=now, dry_run=True)
        assert len(dry.sessions) == 2 and dry.audit_seq is None
        assert all(s.task for s in store.sessions("default"))  # dry run changed nothing
        src = tmp_path / "corpus" / "alpha" / f"{ids['a2']}.jsonl"
        by_source = forget(ws, "default", source=str(src), now=now)
        assert len(by_source.sessions) == 1
        assert store.find_session("default", ids["a2"]).task is None
        by_agent = forget(ws, "default", agent="beta", now=now)
        assert by_agent.agents == ["beta"] and len(by_agent.sessions) == 2
        from reverie.errors import InputError

        for kwargs in ({}, {"agent": "nobody"}, {"sessions": ["no-such-session"]}):
            with pytest.raises(InputError):
                forget(ws, "default", now=now, **kwargs)
        with pytest.raises(InputError):  # another tenant sees none of these sessions
            forget(ws, "other", sessions=[ids["a1"]], now=now)
    finally:
        store.close()
    assert load_rules(workspace.rules_dir, "default")


def test_reingesting_a_forgotten_file_does_not_bring_it_back(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from reverie.ingest.pipeline import ingest_paths

    path = tmp_path / "short.jsonl"
    path.write_bytes((real_data / "claude_code" / "short.jsonl").read_bytes())
    ingest_paths(space, space.tenant, [path])
    session = store.sessions(workspace.tenant)[0]
    forget(space, space.tenant, sessions=[session.id], reason="test", now=datetime.now(UTC))
    again = ingest_paths(space, space.tenant, [path], force=True)
    assert again.new_events == 0
    restored = store.find_session(workspace.tenant, session.id)
    assert restored is not None and restored.task is None
    assert all(e.text is None for e in store.events(workspace.tenant, session_id=session.id))
