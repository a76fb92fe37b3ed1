"""A reviewer in a real browser: headless Chromium (Debian's) against `reverie serve`.

The server runs as the CLI runs it, in its own process, with a token; the
browser opens the URL it prints, reads the queue, opens a proposed rule and its
evidence, and approves it with a reason. Then the rule file, the audit log and
the next `reverie export claude-md` must show the decision.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright

from reverie.audit.log import AuditLog
from reverie.rulebook.rules import load_rule
from reverie.settings import Settings

from .corpus import DIRECTIVE, SCRIPT, Built

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-test-token-0123456789"
TIMEOUT = 30.0


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.is_file(), (
        f"{CHROMIUM} is missing: the browser test drives Debian's chromium; install it with "
        "`apt-get update && apt-get install -y chromium` (.ci/run does when it is absent)"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):
        into.put(line)


@pytest.fixture
def server(ws: Settings) -> Iterator[str]:
    """`reverie serve -w WS --port 0` with a token: the URL it prints (token included)."""
    env = os.environ | {"REVERIE_SERVE_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reverie", "serve", "-w", str(ws.root), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    out: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    reader = threading.Thread(target=_lines, args=(proc.stdout, out), daemon=True)
    reader.start()
    try:
        url = ""
        while "?token=" not in url:
            try:
                url = out.get(timeout=TIMEOUT).strip()
            except queue.Empty:
                proc.kill()
                pytest.fail(f"reverie serve printed no URL in {TIMEOUT} s: "
                            f"{proc.communicate(timeout=TIMEOUT)[1]}")
        try:  # the port answers at once (bound before the URL is printed), and wants the token
            urllib.request.urlopen(url.split("?")[0] + "static/review.css", timeout=TIMEOUT)
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        else:
            pytest.fail("the server answered without its token")
        yield url
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop
        code = proc.wait(timeout=TIMEOUT)
        reader.join(timeout=TIMEOUT)  # to the end of its output
        assert code == 0, proc.stderr.read() if proc.stderr else ""
        rest = []
        while not out.empty():
            rest.append(out.get_nowait())
        assert rest[-1:] == ["stopped\n"], rest


def test_a_reviewer_approves_a_rule_in_the_browser(
    browser: Browser, server: str, ws: Settings, built: Built
) -> None:
    page: Page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)

    # the URL `reverie serve` printed: the token once, then the cookie
    page.goto(server)
    assert "?token=" not in page.url
    assert page.title() == "Review queue · Reverie review"
    row = page.locator(f'tr[data-rule="{built.proposed}"]')
    assert row.locator(".status").inner_text() == "proposed"

    # open the proposed rule and read its evidence
    row.get_by_role("link", name=built.proposed).click()
    page.wait_for_url(f"**/rules/{built.proposed}")
    assert page.locator("dd.directive").inner_text() == DIRECTIVE
    failure = page.locator("ol.lines li.failure pre.excerpt").first
    assert SCRIPT in failure.inner_text()  # shown as text, never run
    where = page.locator("ol.lines li.failure .where").first.inner_text()
    assert re.fullmatch(r".*/acme/agent-\d/[0-9a-f-]+\.jsonl:\d+", where), where
    assert page.locator("script").count() == 0 and dialogs == []
    added = page.locator("pre.diff .add").all_inner_texts()  # what approving changes
    assert any(DIRECTIVE in line for line in added), added

    # approve it, with a reason
    form = page.locator("section.decide form")
    form.get_by_label("Reviewer").fill("Ada Lovelace")
    form.get_by_label("Reason").fill("Checked the 8 failures: `make build` fixed each one.")
    form.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"**/rules/{built.proposed}?done=approve")
    notice = page.get_by_role("status").inner_text()
    assert "Recorded: review.approve by Ada Lovelace" in notice
    assert "now approved, version 2" in notice
    assert posts and posts[0].url.endswith(f"/rules/{built.proposed}/approve")
    sent = posts[0].all_headers()  # the page sends no referrer, so Origin may be "null"
    assert sent["sec-fetch-site"] == "same-origin" and sent["origin"] in (
        "null", server.split("/?")[0])
    assert sent["cookie"].startswith("reverie_auth_")
    assert dialogs == []
    page.close()

    # the rule file, the audit log and the next export show the decision
    rule = load_rule(ws.rules_dir / f"{built.proposed}.md")
    assert rule.status == "approved" and rule.version == 2
    last = rule.history[-1]
    assert (last.action, last.actor) == ("review.approve", "Ada Lovelace")
    assert last.reason == "Checked the 8 failures: `make build` fixed each one."
    log = AuditLog(ws.state_dir)
    log.verify()
    entry = list(log.entries(tenant="acme"))[-1]
    assert (entry.action, entry.rule_id, entry.actor) == (
        "review.approve", built.proposed, "Ada Lovelace")
    assert entry.rule_state is not None and entry.rule_state.status == "approved"

    claude = ws.root / "CLAUDE.md"
    assert DIRECTIVE not in claude.read_text()
    done = subprocess.run(
        [sys.executable, "-m", "reverie", "export", "claude-md", "--into", str(claude),
         "-w", str(ws.root)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    exported = claude.read_text()
    assert DIRECTIVE in exported and f"{built.proposed} v2" in exported
