"""Decisions from the page: recorded exactly as `reverie review` records them, or refused."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from reverie.audit.log import AuditLog
from reverie.cli import app as cli_app
from reverie.rulebook.review import review
from reverie.rulebook.rules import load_rule
from reverie.settings import Settings
from reverie.workspace import Workspace

from .corpus import FLAGGED, NEEDS, T0, Built

REASON = "checked the failures: the build step was missing every time"


def _csrf(client: TestClient, rule_id: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/rules/{rule_id}").text)
    assert found is not None
    return found.group(1)


def _decide(client: TestClient, rule_id: str, decision: str, **fields: str) -> Any:
    data = {"csrf": _csrf(client, rule_id), "reviewer": "Ada", "reason": REASON} | fields
    return client.post(f"/rules/{rule_id}/{decision}", data=data, follow_redirects=False)


def _state(root: Path, rule_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rule file and the last audit entry, without the times and hashes of the decision."""
    rule = load_rule(root / "rules" / f"{rule_id}.md").model_dump(mode="json")
    rule.pop("updated")
    for entry in rule["history"]:
        entry.pop("at")
    last = list(AuditLog(root / ".reverie").entries())[-1].model_dump(mode="json")
    for key in ("at", "hash", "prev"):
        last.pop(key)
    return rule, last


EDIT = {"directive": "Run `make build` first, then `make deploy`.",
        "when": "Before deploying with make."}


@pytest.mark.parametrize(
    ("decision", "fields"),
    [("approve", {}), ("reject", {}), ("retire", {}), ("edit", EDIT)],
)
def test_a_decision_is_recorded_as_the_cli_records_it(
    decision: str, fields: dict[str, str], client: TestClient, ws: Settings, built: Built,
    tmp_path: Path,
) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(ws.root, twin)
    options = [x for k, v in fields.items() for x in (f"--{k}", v)]
    done = CliRunner().invoke(cli_app, ["review", decision, built.proposed, "--reason", REASON,
                                        "--reviewer", "Ada", "-w", str(twin), *options])
    assert done.exit_code == 0, done.output

    # the edit form sends every field, the unchanged ones as they are
    form = fields
    if decision == "edit":
        rule = load_rule(ws.rules_dir / f"{built.proposed}.md")
        form = {"title": rule.title, "because": rule.because} | fields
    answer = _decide(client, built.proposed, decision, **form)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/rules/{built.proposed}?done={decision}"

    assert _state(ws.root, built.proposed) == _state(twin, built.proposed)
    web_rule = load_rule(ws.rules_dir / f"{built.proposed}.md")
    assert web_rule.history[-1].action == f"review.{decision}"
    assert (web_rule.history[-1].actor, web_rule.history[-1].at) == ("Ada", T0)
    assert AuditLog(ws.state_dir).verify().entries == AuditLog(twin / ".reverie").verify().entries

    page = client.get(answer.headers["location"])  # POST-redirect-GET
    assert page.status_code == 200
    assert f"Recorded: <b>review.{decision}</b> by Ada" in page.text


def test_the_reviewer_is_remembered_for_the_next_form(client: TestClient, built: Built) -> None:
    assert _decide(client, built.proposed, "approve").status_code == 303
    assert 'name="reviewer" required maxlength="100" value="Ada"' in client.get(
        f"/rules/{FLAGGED}").text


def _unchanged(ws: Settings, rule_id: str) -> tuple[bytes, bytes]:
    rule, log = ws.rules_dir / f"{rule_id}.md", ws.state_dir / "audit.jsonl"
    return rule.read_bytes(), log.read_bytes()


def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, ws: Settings, built: Built
) -> None:
    before = _unchanged(ws, built.proposed)
    data = {"reviewer": "Ada", "reason": REASON}
    missing = client.post(f"/rules/{built.proposed}/approve", data=data)
    assert missing.status_code == 403 and "CSRF token is missing" in missing.text
    other = _csrf(client, FLAGGED)  # a token for another rule's form
    wrong = client.post(f"/rules/{built.proposed}/approve", data=data | {"csrf": other})
    assert wrong.status_code == 403
    forged = client.post(f"/rules/{built.proposed}/approve",
                         data=data | {"csrf": "9999999999.deadbeef"})
    assert forged.status_code == 403
    assert _unchanged(ws, built.proposed) == before


def test_a_post_from_another_site_is_refused(
    client: TestClient, ws: Settings, built: Built
) -> None:
    before = _unchanged(ws, built.proposed)
    data = {"csrf": _csrf(client, built.proposed), "reviewer": "Ada", "reason": REASON}
    url = f"/rules/{built.proposed}/approve"
    for headers in ({"origin": "http://attacker.example"}, {"sec-fetch-site": "cross-site"},
                    {"origin": "http://127.0.0.1:9999"}):
        assert client.post(url, data=data, headers=headers).status_code == 403, headers
    assert _unchanged(ws, built.proposed) == before
    same = client.post(url, data=data, headers={"origin": "http://127.0.0.1:8765",
                                                "sec-fetch-site": "same-origin"},
                       follow_redirects=False)
    assert same.status_code == 303


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": "  "}, "a decision needs a reason"),
        ({"reviewer": ""}, "give the reviewer&#39;s name"),
        ({"reviewer": "Ada\x1b[2J"}, "the reviewer&#39;s name is one line"),
    ],
)
def test_a_decision_needs_a_reviewer_and_a_reason(
    fields: dict[str, str], message: str, client: TestClient, ws: Settings, built: Built
) -> None:
    before = _unchanged(ws, built.proposed)
    answer = _decide(client, built.proposed, "approve", **fields)
    assert answer.status_code == 400
    assert message in answer.text and 'role="alert"' in answer.text
    assert _unchanged(ws, built.proposed) == before


@pytest.mark.parametrize(
    ("rule_id", "decision", "fields", "message"),
    [
        ("R-0001", "approve", {}, "cannot approve R-0001: it is approved"),
        (NEEDS, "approve", {}, "cannot approve R-0100: it has no directive yet"),
        (FLAGGED, "edit", {}, "nothing to edit in R-0101"),
        (FLAGGED, "edit", {"directive": "the tests. Then push."}, "directive"),
    ],
)
def test_a_decision_the_library_refuses_shows_its_message(
    rule_id: str, decision: str, fields: dict[str, str], message: str,
    client: TestClient, ws: Settings,
) -> None:
    before = _unchanged(ws, rule_id)
    answer = _decide(client, rule_id, decision, **fields)
    assert answer.status_code == 400
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', answer.text, re.DOTALL)
    assert alert is not None and f"{decision} refused:" in alert.group(1)
    assert message in alert.group(1)
    assert _unchanged(ws, rule_id) == before
    form = "edit" if decision == "edit" else "decide"  # what was typed stays in its form
    section = re.search(rf'<section class="card {form}">(.*?)</section>', answer.text, re.DOTALL)
    assert section is not None and f">{REASON}</textarea>" in section.group(1)


def test_a_needs_directive_rule_is_approved_once_an_edit_writes_it(
    client: TestClient, ws: Settings
) -> None:
    edited = _decide(client, NEEDS, "edit", directive="Run `make lint` before `git push`.")
    assert edited.status_code == 303
    assert _decide(client, NEEDS, "approve").status_code == 303
    rule = load_rule(ws.rules_dir / f"{NEEDS}.md")
    assert rule.status == "approved" and not rule.needs_directive
    assert [h.action for h in rule.history][-2:] == ["review.edit", "review.approve"]


def test_an_unknown_decision_is_404(client: TestClient, built: Built) -> None:
    answer = _decide(client, built.proposed, "promote")
    assert answer.status_code == 404


def test_a_busy_workspace_is_503_and_nothing_is_written(
    client: TestClient, ws: Settings, built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVERIE_LOCK_TIMEOUT", "0.2")
    before = _unchanged(ws, built.proposed)
    token = _csrf(client, built.proposed)
    with Workspace(ws).locked("reverie dream"):  # held by this thread; the app's waits
        answer = client.post(f"/rules/{built.proposed}/approve",
                             data={"csrf": token, "reviewer": "Ada", "reason": REASON})
    assert answer.status_code == 503
    assert "the workspace lock is still held" in answer.text  # the library's message
    assert _unchanged(ws, built.proposed) == before


def test_a_review_at_the_same_time_loses_nothing(
    client: TestClient, ws: Settings, built: Built
) -> None:
    token = _csrf(client, built.proposed)
    answers: list[int] = []

    def post() -> None:
        data = {"csrf": token, "reviewer": "Ada", "reason": REASON}
        answers.append(client.post(f"/rules/{built.proposed}/approve", data=data,
                                   follow_redirects=False).status_code)

    worker = threading.Thread(target=post)
    with Workspace(ws) as space, space.locked("reverie review approve"):
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive()  # the page's decision waits for the lock
        review(space, "acme", FLAGGED, "reject", reviewer="Bo", reason="too broad", now=T0)
    worker.join(timeout=30)
    assert answers == [303]
    assert load_rule(ws.rules_dir / f"{built.proposed}.md").status == "approved"
    assert load_rule(ws.rules_dir / f"{FLAGGED}.md").status == "rejected"
    entries = list(AuditLog(ws.state_dir).entries(tenant="acme"))
    assert [(e.rule_id, e.action) for e in entries[-2:]] == [
        (FLAGGED, "review.reject"), (built.proposed, "review.approve")]
    AuditLog(ws.state_dir).verify()


def test_an_oversized_form_is_refused(client: TestClient, ws: Settings, built: Built) -> None:
    before = _unchanged(ws, built.proposed)
    answer = _decide(client, built.proposed, "approve", reason="x" * 70_000)
    assert answer.status_code == 413
    assert _unchanged(ws, built.proposed) == before
