"""``reverie dreams list|show``: the tenant's reports as a table, a summary, or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from reverie.cli import app
from reverie.models import CurationDecision
from reverie.watch.reports import DreamRecord, write_report

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _write(ws: Path, tenant: str, hour: int, reason: str = "new motif") -> DreamRecord:
    at = T0.replace(hour=hour)
    decision = CurationDecision(action="propose", rule_id="R-0004", actor="dream",
                                reason=reason, at=at)
    return write_report(ws / ".reverie" / "dreams", DreamRecord(
        tenant=tenant, at=at, finished=at, files=2, new_events=40, motifs=3, rules=5,
        counts={"propose": 1}, changes={"proposed": ["R-0004"], "merged": []},
        decisions=[decision]))


def test_list_and_show_the_tenants_reports(ws: Path) -> None:
    cli = CliRunner()
    first = _write(ws, "default", 3)
    latest = _write(ws, "default", 4, reason="bad \x1b[31m text")
    _write(ws, "acme", 5)
    listed = cli.invoke(app, ["dreams", "list", "-w", str(ws)])
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.stdout.splitlines() if "20261201T" in line]
    assert [r.split()[1] for r in rows] == [first.id, latest.id]  # acme's is not listed
    as_json = json.loads(cli.invoke(app, ["dreams", "list", "-w", str(ws), "-n", "1",
                                          "--json"]).stdout)
    assert [r["id"] for r in as_json] == [latest.id] and "decisions" not in as_json[0]
    shown = cli.invoke(app, ["dreams", "show", "-w", str(ws)])
    assert shown.exit_code == 0 and f"# Dream {latest.id}" in shown.stdout
    assert "| proposed | 1 | R-0004 |" in shown.stdout
    assert "\x1b" not in shown.stdout and "bad \\x1b[31m text" in shown.stdout  # escaped
    other = cli.invoke(app, ["dreams", "show", first.id, "-w", str(ws), "--tenant", "acme"])
    assert other.exit_code == 2 and "for tenant 'acme'" in other.stderr


def test_no_reports_yet(ws: Path) -> None:
    listed = CliRunner().invoke(app, ["dreams", "list", "-w", str(ws)])
    assert listed.exit_code == 0 and "no dream reports yet" in listed.stdout
    shown = CliRunner().invoke(app, ["dreams", "show", "latest", "-w", str(ws)])
    assert shown.exit_code == 2 and "no dream report yet" in shown.stderr
