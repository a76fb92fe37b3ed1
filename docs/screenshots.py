"""Screenshots of the review page for the README and docs/review.md.

    .venv/bin/python docs/screenshots.py [WORKSPACE]

Without a workspace it makes the demo's (``reverie demo`` on the real sample
sessions in ../shared/data/real) in a temporary folder. It then runs
``reverie serve`` on it, opens the queue and the best proposed fleet rule in
Debian's headless Chromium (``/usr/bin/chromium``) with Playwright, and writes
``docs/img/review-queue.png`` and ``docs/img/review-rule.png``. Nothing in the
workspace changes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from reverie.rulebook.rules import load_rules
from reverie.settings import load_settings

HERE = Path(__file__).resolve().parent
OUT = HERE / "img"
CHROMIUM = "/usr/bin/chromium"
WIDTH = 1400


def _demo(folder: Path) -> Path:
    root = folder / "demo"
    subprocess.run([sys.executable, "-m", "reverie", "demo", "--dir", str(root), "--json"],
                   check=True, capture_output=True, timeout=600)
    return root


def _rule(root: Path) -> str:
    """The proposed fleet rule with a directive and the most sessions behind it."""
    settings = load_settings(root)
    rules = [r for r in load_rules(settings.rules_dir, settings.tenant)
             if r.status == "proposed" and r.directive and r.scope.agents == "fleet"]
    return max(rules, key=lambda r: (len(r.evidence.sessions), r.confidence, r.id)).id


def shoot(root: Path) -> list[Path]:
    rule_id = _rule(root)
    server = subprocess.Popen(
        [sys.executable, "-m", "reverie", "serve", "-w", str(root), "--port", "0"],
        stdout=subprocess.PIPE, text=True,
    )
    assert server.stdout is not None
    url = ""
    while not url.startswith("http"):
        line = server.stdout.readline()
        if not line:
            raise SystemExit("reverie serve stopped before printing its URL")
        url = line.strip()
    OUT.mkdir(exist_ok=True)
    written = [OUT / "review-queue.png", OUT / "review-rule.png"]
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.goto(url)
            page.screenshot(path=str(written[0]))
            page.goto(f"{url}rules/{rule_id}")
            height = min(page.evaluate("document.body.scrollHeight"), 2200)
            page.set_viewport_size({"width": WIDTH, "height": height})
            page.screenshot(path=str(written[1]))
            browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return written


def main() -> None:
    if len(sys.argv) > 1:
        paths = shoot(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            paths = shoot(_demo(Path(tmp)))
    for path in paths:
        print(path)


if __name__ == "__main__":
    main()
