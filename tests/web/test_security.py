"""The token, the CSRF tokens and `reverie serve`'s choices about binding and tokens."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from typing import Any

import pytest
import uvicorn
from starlette.testclient import TestClient
from typer.testing import CliRunner

from reverie.cli import app as cli_app
from reverie.cli.serve import is_loopback
from reverie.errors import ConfigError
from reverie.settings import Settings
from reverie.web import create_app
from reverie.web.security import Csrf, cookie_name

from .corpus import T0, Built

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture
def guarded(ws: Settings) -> Any:
    """The app as `reverie serve --host 0.0.0.0 --token TOKEN` builds it (any Host name)."""
    return create_app(ws, token=TOKEN, hosts=None, clock=lambda: T0)


def test_without_the_token_every_request_is_refused(guarded: Any, built: Built) -> None:
    with TestClient(guarded, base_url="http://192.0.2.7:8765") as c:
        for path in ("/", f"/rules/{built.proposed}", "/audit", "/static/review.css"):
            answer = c.get(path)
            assert answer.status_code == 401, path
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert c.get("/", headers={"authorization": "Bearer wrong-token-0123456789"}
                     ).status_code == 401
        assert c.get("/?token=wrong-token-0123456789").status_code == 401
        assert c.post(f"/rules/{built.proposed}/approve", data={}).status_code == 401


def test_the_token_in_a_header_or_once_in_the_url(guarded: Any, built: Built) -> None:
    with TestClient(guarded, base_url="http://192.0.2.7:8765") as c:
        bearer = c.get("/", headers={"authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 200 and "Review queue" in bearer.text
        assert not c.cookies  # a header sets no cookie

        once = c.get(f"/?status=proposed&token={TOKEN}", follow_redirects=False)
        assert once.status_code == 303 and once.headers["location"] == "/?status=proposed"
        cookie = once.headers["set-cookie"]
        assert cookie.startswith(f"{cookie_name(TOKEN)}={TOKEN};")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        page = c.get("/?status=proposed")  # the cookie alone, from now on
        assert page.status_code == 200 and "Review queue" in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', c.get(f"/rules/{built.proposed}").text)
        assert token is not None
        decided = c.post(f"/rules/{built.proposed}/approve", follow_redirects=False,
                         data={"csrf": token.group(1), "reviewer": "Ada", "reason": "ok"})
        assert decided.status_code == 303


def test_csrf_tokens_are_bound_to_their_form_and_expire() -> None:
    csrf = Csrf(b"k" * 32, max_age=3600)
    token = csrf.issue("/rules/R-0004", now=1000.0)
    assert csrf.check(token, "/rules/R-0004", now=1000.0 + 3599)
    assert not csrf.check(token, "/rules/R-0004", now=1000.0 + 3601)  # expired
    assert not csrf.check(token, "/rules/R-0004", now=999.0)  # from the future
    assert not csrf.check(token, "/t/globex/rules/R-0004", now=1001.0)  # another form
    assert not Csrf(b"x" * 32).check(token, "/rules/R-0004", now=1001.0)  # another server
    issued, _, mac = token.partition(".")
    assert not csrf.check(f"{int(issued) + 1}.{mac}", "/rules/R-0004", now=1002.0)
    for bad in (None, "", ".", "abc.def", "１０００." + mac):
        assert not csrf.check(bad, "/rules/R-0004", now=1001.0)


def test_a_token_must_be_long_enough(ws: Settings) -> None:
    with pytest.raises(ConfigError, match="16 to 256 characters"):
        create_app(ws, token="short")
    with pytest.raises(ConfigError, match="16 to 256 characters"):
        create_app(ws, token="has spaces in it; and more")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("127.0.0.2", True), ("0.0.0.0", False), ("192.0.2.7", False), ("::", False),
     ("example.com", False)],
)
def test_which_hosts_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def _serve(monkeypatch: pytest.MonkeyPatch, *args: str, env: dict[str, str] | None = None
           ) -> tuple[Any, Any]:
    """Run `reverie serve ARGS` with uvicorn's loop replaced: the output and the app."""
    served: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: served.append(
        (self.config.app, sockets)))
    result = CliRunner().invoke(cli_app, ["serve", *args], env=env)
    assert result.exit_code == 0, result.output
    assert len(served) == 1 and served[0][1] and served[0][1][0].fileno() == -1  # closed after
    return result, served[0][0]


def test_serve_on_loopback_prints_the_url_without_a_token(
    ws: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, app = _serve(monkeypatch, "-w", str(ws.root), "--port", "0")
    url = re.search(r"http://127\.0\.0\.1:(\d+)/\s", result.output)
    assert url is not None and int(url.group(1)) > 0
    assert "token" not in result.output and "stopped" in result.output
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"host": "attacker.example"}).status_code == 400


def test_serve_off_loopback_generates_a_token(
    ws: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, app = _serve(monkeypatch, "-w", str(ws.root), "--host", "0.0.0.0", "--port", "0")
    host = re.escape(socket.gethostname())
    url = re.search(rf"http://{host}:\d+/\?token=([A-Za-z0-9_-]{{40,}})\s", result.output)
    assert url is not None, result.output
    with TestClient(app, base_url="http://192.0.2.7") as c:
        assert c.get("/").status_code == 401
        assert c.get("/", headers={"authorization": f"Bearer {url.group(1)}"}).status_code == 200


def test_serve_takes_the_token_from_the_environment(
    ws: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, app = _serve(monkeypatch, "-w", str(ws.root), "--port", "0",
                         env={"REVERIE_SERVE_TOKEN": TOKEN})
    assert f"?token={TOKEN}" in result.output
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/").status_code == 401
        assert c.get("/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_serve_refuses_a_bad_token_or_tenant(ws: Settings) -> None:
    short = CliRunner().invoke(cli_app, ["serve", "-w", str(ws.root), "--token", "abc"])
    assert short.exit_code == 2 and "16 to 256 characters" in short.stderr
    tenant = CliRunner().invoke(cli_app, ["serve", "-w", str(ws.root), "--tenant", "../x"])
    assert tenant.exit_code == 2 and "tenant" in tenant.stderr


def test_serve_without_the_web_extra_names_it(ws: Settings) -> None:
    code = (
        "import sys; sys.modules['starlette'] = None\n"
        "from reverie.cli import main\n"
        "sys.argv = ['reverie', 'serve', '-w', sys.argv[1]]\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(ws.root)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "pip install 'reverie[web]'" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
