"""The README's main job runs the whole loop on the real sessions: ingest, dream, render."""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie.demo import run_demo
from reverie.render.records import RenderLog
from reverie.rulebook.rules import load_rules
from reverie.settings import load_settings

pytestmark = pytest.mark.slow


def test_demo_dreams_auto_approves_and_exports_claude_md(real_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    first = run_demo(root, real_data)
    settings = load_settings(root)
    assert settings.dream.auto_approve and settings.mine.min_sessions == 2
    assert first.dream.get("auto_approve", 0) >= 1 and first.dream.get("propose", 0) >= 1
    rules = {r.id: r for r in load_rules(settings.rules_dir, "demo")}
    mined_approved = [r for r in rules.values() if r.status == "approved" and not r.seeded]
    assert mined_approved and all(
        any(h.action == "auto_approve" for h in r.history) for r in mined_approved
    )

    claude = (root / "CLAUDE.md").read_text(encoding="utf-8")
    assert first.export is not None and first.export.action == "created"
    (record,) = RenderLog(settings.state_dir).records("demo")
    assert record.hash == first.export.render and f"render={record.hash}" in claude
    rendered = {r.id for r in record.rules}
    assert rendered == set(first.approved_fleet)  # exactly the approved fleet rules
    for rid, rule in rules.items():
        in_text = f"Source: {rid} v" in claude
        assert in_text == (rid in rendered), rid
        if in_text and not rule.seeded:
            assert f"{len(rule.evidence.sessions)} sessions" in claude

    before = (root / "CLAUDE.md").read_bytes()
    again = run_demo(root, real_data)
    assert again.dream == {} and again.ingest.new_events == 0
    assert again.export is not None and again.export.action == "unchanged"
    assert (root / "CLAUDE.md").read_bytes() == before
