"""The pages a reviewer reads: the queue, a rule, the audit log; one tenant per server."""

from __future__ import annotations

import html
import re

from markupsafe import escape
from starlette.testclient import TestClient

from reverie.rulebook.rules import load_rules
from reverie.rulebook.statuses import RULE_STATUSES
from reverie.settings import Settings
from reverie.web import create_app
from reverie.web.queries import STATUS_ORDER
from reverie.web.security import SECURITY_HEADERS

from .corpus import DIRECTIVE, FLAGGED, INJECTED_AGENT, NEEDS, QUARANTINED, SCRIPT, T0, Built

ROW = re.compile(r'<tr class="(\w+)" data-rule="(R-\d+)">(.*?)</tr>', re.DOTALL)


def _rows(page: str) -> list[tuple[str, str, str]]:
    return ROW.findall(page)


def _badges(cell: str) -> set[str]:
    return set(re.findall(r'<span class="badge ([\w-]+)"', cell))


def test_the_queue_shows_proposed_rules_first_with_counts_and_flags(
    client: TestClient, ws: Settings, built: Built
) -> None:
    page = client.get("/")
    assert page.status_code == 200
    rules = load_rules(ws.rules_dir, "acme")
    rows = _rows(page.text)
    assert sorted(rid for _, rid, _ in rows) == sorted(r.id for r in rules)
    order = [STATUS_ORDER.index(status) for status, _, _ in rows]
    assert order == sorted(order) and rows[0][0] == "proposed"
    for status in RULE_STATUSES:
        n = sum(r.status == status for r in rules)
        assert f"{status} <b>{n}</b>" in page.text
    badges = {rid: _badges(cells) for _, rid, cells in rows}
    assert badges[NEEDS] == {"needs-directive"}
    assert badges[FLAGGED] == {"destructive", "injection"}
    assert badges[QUARANTINED] == {"quarantined", "injection"}
    assert badges[built.proposed] == set()
    assert built.globex not in badges  # another tenant's rule is not listed
    assert SCRIPT not in page.text and str(escape(SCRIPT)) in page.text


def test_the_queue_filters_by_status_agent_and_tool(client: TestClient, ws: Settings) -> None:
    rules = load_rules(ws.rules_dir, "acme")
    approved = _rows(client.get("/?status=approved").text)
    assert {rid for _, rid, _ in approved} == {r.id for r in rules if r.status == "approved"}
    by_agent = _rows(client.get("/", params={"agent": INJECTED_AGENT}).text)
    assert [rid for _, rid, _ in by_agent] == [FLAGGED]
    by_tool = {rid for _, rid, _ in _rows(client.get("/?tool=Bash&status=proposed").text)}
    expected = {r.id for r in rules if "Bash" in r.scope.tools and r.status == "proposed"}
    assert by_tool == expected and FLAGGED in by_tool
    assert client.get("/?status=maybe").status_code == 400


def test_the_rule_page_shows_the_rule_its_evidence_and_history(
    client: TestClient, built: Built
) -> None:
    page = client.get(f"/rules/{built.proposed}")
    assert page.status_code == 200
    text = page.text
    assert html.escape(DIRECTIVE, quote=False) in text
    assert "tenant acme; agents fleet (any agent)" in text
    # the evidence as explain gives it: each failure with file:line and its redacted text
    assert SCRIPT not in text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    assert re.search(r'<span class="where">[^<]*/acme/agent-\d/[^<]*\.jsonl:\d+</span>', text)
    assert "make build: followed the failure in 8 of 8 sessions" in text
    assert "agent-0, agent-1" in text
    # its history and the audit entries about it
    assert "<td>propose</td><td>dream</td>" in text
    assert re.search(r'<td class="num">\d+</td><td class="nowrap">2026-03-01 09:30 UTC</td>'
                     r"<td>propose</td>", text)


def test_the_rule_page_previews_the_diff_of_each_exported_file(
    client: TestClient, ws: Settings, built: Built
) -> None:
    text = client.get(f"/rules/{built.proposed}").text
    assert f"<code>{ws.root / 'CLAUDE.md'}</code>" in text
    added = re.findall(r'<span class="add">(.*?)</span>', text)
    assert any(html.escape(DIRECTIVE, quote=False) in line for line in added), added
    assert "The diff approving it would make" in text
    assert not re.search(r"not hold the section", text)  # the file is as exported
    needs = client.get(f"/rules/{NEEDS}").text
    assert "No change to this file: it has no directive yet" in needs
    flagged = client.get(f"/rules/{FLAGGED}").text
    assert "No change to this file: it would be withheld: agent name: injection" in flagged


def test_without_an_export_the_preview_says_so(
    client: TestClient, ws: Settings, built: Built
) -> None:
    (ws.state_dir / "renders.jsonl").unlink()
    text = client.get(f"/rules/{built.proposed}").text
    assert "Not exported yet for this tenant" in text
    added = re.findall(r'<span class="add">(.*?)</span>', text)
    assert added[0].startswith("+&lt;!-- reverie:begin claude-md")


def test_another_tenants_rule_is_not_reachable(
    client: TestClient, ws: Settings, built: Built
) -> None:
    before = (ws.rules_dir / f"{built.globex}.md").read_bytes()
    for path in (f"/rules/{built.globex}", "/rules/R-9999", f"/rules/{built.globex}.md",
                 "/rules/r-0004", "/t/globex/", f"/t/globex/rules/{built.globex}"):
        assert client.get(path).status_code == 404, path
    assert client.get("/rules/..%2Freverie.toml").status_code in (404, 405)  # no file served
    page = client.get(f"/rules/{built.globex}")
    assert f"no rule {built.globex} for tenant acme" in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/rules/{FLAGGED}").text)
    assert token is not None
    posted = client.post(f"/rules/{built.globex}/approve",
                         data={"csrf": token.group(1), "reviewer": "Ada", "reason": "x"})
    assert posted.status_code in (403, 404)
    assert (ws.rules_dir / f"{built.globex}.md").read_bytes() == before


def test_the_audit_page_verifies_the_log_and_lists_the_tenants_decisions(
    client: TestClient,
) -> None:
    page = client.get("/audit")
    assert page.status_code == 200
    assert "The audit log verifies" in page.text
    assert "<td>test.write</td>" in page.text
    assert 'href="/rules/R-0100"' in page.text


def test_the_audit_page_says_when_a_rule_file_was_changed_by_hand(
    client: TestClient, ws: Settings
) -> None:
    path = ws.rules_dir / f"{FLAGGED}.md"
    path.write_text(path.read_text().replace("status: proposed", "status: approved"))
    page = client.get("/audit")
    assert "Rule <a" in page.text and "its status is approved" in page.text
    assert "The audit log verifies" not in page.text
    row = next(cells for _, rid, cells in _rows(client.get("/").text) if rid == FLAGGED)
    assert "unexplained" in _badges(row)


def test_every_answer_carries_the_security_headers(client: TestClient, built: Built) -> None:
    for path in ("/", f"/rules/{built.proposed}", "/audit", "/static/review.css", "/nowhere"):
        answer = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, (path, name)
    assert "default-src 'self'" in SECURITY_HEADERS["content-security-policy"]
    css = client.get("/static/review.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "http" not in css.text  # nothing from elsewhere: works offline


def test_no_page_holds_script_or_a_resource_from_elsewhere(
    client: TestClient, built: Built
) -> None:
    for path in ("/", f"/rules/{built.proposed}", f"/rules/{FLAGGED}", "/audit"):
        text = client.get(path).text
        assert "<script" not in text, path
        assert not re.search(r'(src|href)="(https?:)?//', text), path
        assert " style=" not in text, path  # the policy forbids inline styles


def test_another_host_name_is_refused_on_loopback(client: TestClient) -> None:
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200


def test_all_tenants_puts_each_tenant_under_its_own_path(ws: Settings, built: Built) -> None:
    app = create_app(ws, all_tenants=True, clock=lambda: T0)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        home = c.get("/")
        assert home.status_code == 200
        assert 'href="/t/acme/"' in home.text and 'href="/t/globex/"' in home.text
        assert c.get(f"/t/globex/rules/{built.globex}").status_code == 200
        assert c.get(f"/t/acme/rules/{built.globex}").status_code == 404
        assert c.get(f"/t/globex/rules/{built.proposed}").status_code == 404
        assert c.get("/t/nobody/").status_code == 404
        assert c.get("/t/..%2F..%2Fetc/").status_code == 404
        assert c.get(f"/rules/{built.proposed}").status_code == 404  # no tenant-less URLs
        rows = _rows(c.get("/t/globex/").text)
        assert rows and all(rid != built.proposed for _, rid, _ in rows)
        assert f'href="/t/globex/rules/{built.globex}"' in c.get("/t/globex/").text
