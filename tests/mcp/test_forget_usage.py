"""``reverie forget --agent`` takes the agent's recorded uses of rules with its sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reverie.forget.erase import forget
from reverie.serving import record_feedback, record_retrievals
from reverie.workspace import Workspace

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def test_forgetting_an_agent_erases_its_uses_only(built: Any) -> None:
    with Workspace.open(built.root) as ws:
        record_retrievals(ws, "acme", "agent-0", ["R-0001", "R-0003"], NOW)
        record_retrievals(ws, "acme", "agent-1", ["R-0001"], NOW)
        record_feedback(ws, "acme", "R-0001", agent="agent-1", helped=False,
                        note="agent-1 private note", at=NOW)
        report = forget(ws, "acme", agent="agent-1", reason="request", now=NOW)
        assert report.erased["rule_uses"] == 2
        rows = ws.store.rule_usage("acme")
        assert {r.agent for r in rows} == {"agent-0"}
        assert ws.store.rule_feedback("acme", "R-0001") == []
        assert ws.audit.verify().entries > 0
