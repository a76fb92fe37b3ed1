"""No planted secret or PII survives anywhere in the workspace after ingest, dream and render.

Every kind of secret and PII (the seeded values of ``test_redact.planted``)
is planted in user turns, in tool output, and in file contents (the
``tool_input`` of ``Write`` and ``Edit`` calls) of four sessions, and in the
error line of a failure that recurs in all of them, so the values would reach
mining, the rule book and rendered prompts if redaction let them through.
After ingest (grepped while the store is open, so its WAL is checked too),
dream with auto-approve, render and export, the raw bytes of every file under
the workspace hold none of them. A plain control string planted the same way
is found, so the grep looks where the data went.
"""

from __future__ import annotations

import json
from pathlib import Path

from reverie.ingest.pipeline import ingest_paths
from reverie.settings import Settings, load_settings
from reverie.store import open_store
from reverie.workspace import Workspace

CONTROL = "CONTROL-PLAIN-77aa0e"


def _needles(value: str) -> list[bytes]:
    """The value as stored raw or JSON-escaped, and each long line of a multi-line value."""
    forms = {value, json.dumps(value)[1:-1]}
    forms |= {line for line in value.splitlines() if len(line) >= 16}
    return [f.encode() for f in forms]


def _corpus(kit, root: Path, items: list[tuple[str, str, str]]) -> None:
    error = "Error: deploy rejected for " + " / ".join(
        value for kind, value, _ in items if kind in ("EMAIL", "ANTHROPIC_KEY", "IPV4", "JWT")
    )
    for s in range(4):
        agent = ("alpha", "beta")[s % 2]
        t = kit.Transcript(kit.session_id(f"bytes-{s}"), f"/work/{agent}")
        t.user(f"Rotate the credentials, batch {s} ({CONTROL})")
        for i, (_, _, line) in enumerate(items):
            t.user(f"please look: {line}")
            t.tool("Write", {"file_path": f"/work/{agent}/notes{i}.txt", "content": line},
                   "File created successfully", False)  # fmt: skip
            t.tool("Edit", {"file_path": f"/work/{agent}/.env", "old_string": "X=1",
                            "new_string": line}, "The file has been updated", False)  # fmt: skip
            t.bash(f"cat notes{i}.txt", f"file contents:\n{line}\n{CONTROL}")
        t.bash("./deploy.sh", error, error=True)
        t.bash("./deploy.sh --refresh-credentials", "refreshed")
        t.bash("./deploy.sh", "deployed")
        kit.credo_motif(t).write(root / agent)


def _holding(kit, root: Path, items: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    found = []
    for kind, value, _ in items:
        for needle in _needles(value):
            found += [(kind, f) for f in kit.files_holding(root, needle)]
    return found


def test_no_planted_value_in_any_workspace_file(
    tmp_path: Path, workspace: Settings, cli, kit, planted_values
) -> None:
    items = planted_values(11)
    assert len({kind for kind, _, _ in items}) >= 15
    corpus, ws, w = tmp_path / "corpus", workspace.root, ["-w", str(workspace.root)]
    _corpus(kit, corpus, items)
    assert _holding(kit, corpus, items)  # the corpus does carry them
    kit.set_toml(ws, "dream", "auto_approve", "true")
    kit.set_toml(ws, "dream", "auto_approve_confidence", "0.0")
    settings = load_settings(ws)
    store = open_store(settings)
    try:
        summary = ingest_paths(Workspace(settings, store=store), settings.tenant, [corpus])
        assert summary.sessions == 4 and not summary.errors
        wal = ws / ".reverie" / "reverie.db-wal"
        assert wal.exists() and wal.stat().st_size > 0  # the WAL is grepped while it holds data
        assert _holding(kit, ws, items) == []
        assert kit.files_holding(ws, CONTROL.encode())  # the grep looks where the data went
    finally:
        store.close()
    dream = json.loads(kit.run_cli(cli, "dream", *w, "--json"))
    assert dream["counts"].get("auto_approve", 0) >= 2
    rules = json.loads(kit.run_cli(cli, "rules", "list", *w, "--json"))
    deploy = [r for r in rules if "deploy" in json.dumps(r)]
    assert deploy and "<EMAIL:" in json.dumps(deploy)  # the failure reached the rule book
    kit.run_cli(cli, "render", "claude_md", *w, "-o", str(ws / "CLAUDE.md"))
    kit.run_cli(cli, "render", "system_prompt", *w, "--json")
    kit.run_cli(cli, "export", "agents-md", "--into", str(ws / "AGENTS.md"), *w)
    for rule in deploy:
        kit.run_cli(cli, "explain", rule["id"], *w, "--json")
    assert "deploy" in (ws / "CLAUDE.md").read_text()
    assert _holding(kit, ws, items) == []
    names = {p.name for p in ws.rglob("*") if p.is_file()}
    assert {"reverie.db", "renders.jsonl", "audit.jsonl", "CLAUDE.md", "AGENTS.md"} <= names
