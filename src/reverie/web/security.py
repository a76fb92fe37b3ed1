"""What keeps the review page to its reviewers: Host, token, Origin and CSRF checks, headers.

:class:`Guard` is ASGI middleware that sees every request before the app does:

- **Host**: with ``hosts`` (the loopback names, when the server binds to a
  loopback address) a request naming another host is refused (400), so a web
  page that rebinds its own DNS name to 127.0.0.1 cannot read the rule book.
- **Token**: with a ``token``, every request must carry it: the header
  ``Authorization: Bearer TOKEN``, or the cookie a first ``?token=TOKEN``
  sets (HttpOnly, SameSite=Strict; the ``?token=`` URL is answered with a
  redirect to the same URL without it). Anything else is 401.
- **Origin**: a request that changes something (POST) coming from another
  site is refused (403): an ``Origin`` header that is not this server's, or
  ``Sec-Fetch-Site`` other than ``same-origin``. (The pages send no referrer,
  so a browser's own POSTs may say ``Origin: null``; the CSRF token decides then.)
- **Headers** on every response: ``Content-Security-Policy`` (``default-src
  'self'``: no inline script or style, nothing from elsewhere, no framing),
  ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``,
  ``X-Content-Type-Options: nosniff`` and ``Cache-Control: no-store`` (pages
  hold transcript text).

:class:`Csrf` makes and checks the token every form carries in a hidden field:
an HMAC, keyed with a per-server secret, of the time it was issued and the
path the form posts to, valid for :data:`CSRF_MAX_AGE` seconds.

>>> csrf = Csrf(b"k" * 32)
>>> token = csrf.issue("/rules/R-0004/approve", now=1000.0)
>>> csrf.check(token, "/rules/R-0004/approve", now=1060.0)
True
>>> csrf.check(token, "/rules/R-0005/approve", now=1060.0)
False
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reverie.errors import ConfigError

__all__ = [
    "CSRF_MAX_AGE",
    "LOOPBACK_HOSTS",
    "SECURITY_HEADERS",
    "Csrf",
    "Guard",
    "check_token",
    "cookie_name",
    "new_token",
]

CSRF_MAX_AGE = 24 * 3600
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_TOKEN = re.compile(r"[A-Za-z0-9._~-]{16,256}")
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}


def new_token() -> str:
    """A fresh access token (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def check_token(token: str) -> str:
    """``token`` if it can be an access token (16 to 256 URL-safe characters), else a
    :class:`~reverie.errors.ConfigError` saying so.

    >>> check_token("short")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reverie.errors.ConfigError: a token needs 16 to 256 characters ... (got 5 characters); ...
    """
    if not _TOKEN.fullmatch(token):
        raise ConfigError(
            f"a token needs 16 to 256 characters of A-Z a-z 0-9 - _ . ~ (got {len(token)} "
            "characters); leave --token out to have one generated"
        )
    return token


def cookie_name(token: str) -> str:
    """The cookie holding ``token``: named after a hash of it, so two servers on one host
    (cookies ignore the port) keep their own."""
    return "reverie_auth_" + hashlib.blake2b(token.encode(), digest_size=4).hexdigest()


class Csrf:
    """Issue and check the HMAC token of a form (see the module docstring)."""

    def __init__(self, secret: bytes, max_age: int = CSRF_MAX_AGE) -> None:
        self._secret = secret
        self.max_age = max_age

    def _mac(self, issued: int, action: str) -> str:
        message = f"{issued}:{action}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def issue(self, action: str, now: float | None = None) -> str:
        """The token of a form that posts to ``action`` (a path)."""
        issued = int(time.time() if now is None else now)
        return f"{issued}.{self._mac(issued, action)}"

    def check(self, token: str | None, action: str, now: float | None = None) -> bool:
        """Whether ``token`` was issued by this server for ``action`` and is still valid."""
        issued_text, _, mac = (token or "").partition(".")
        if not issued_text.isascii() or not issued_text.isdigit():
            return False
        issued = int(issued_text)
        age = (time.time() if now is None else now) - issued
        if not 0 <= age <= self.max_age:
            return False
        return hmac.compare_digest(mac, self._mac(issued, action))


def _host_name(host: str) -> str:
    """The name in a Host header, without its port (``[::1]:8765`` -> ``::1``)."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


class Guard:
    """ASGI middleware: Host, token and Origin checks, and security headers on every answer."""

    def __init__(
        self, app: ASGIApp, *, token: str | None, hosts: Iterable[str] | None
    ) -> None:
        self.app = app
        self.token = token
        self.cookie = cookie_name(token) if token else None
        self.hosts = {h.lower() for h in hosts} if hosts is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            status, text, extra = refusal
            await _plain(send_with_headers, status, text, extra)
            return
        if self.token and scope["method"] == "GET" and self._query_token(scope):
            await self._set_cookie(scope, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _refusal(
        self, scope: Scope, headers: Headers
    ) -> tuple[int, str, dict[str, str]] | None:
        host = headers.get("host", "")
        if self.hosts is not None and _host_name(host).lower() not in self.hosts:
            return 400, "This server answers only on its loopback address (Host not allowed).", {}
        if self.token and not self._authorized(scope, headers):
            return (
                401,
                "This Reverie review server needs its token: open the URL `reverie serve` "
                "printed (it ends in ?token=...), or send `Authorization: Bearer TOKEN`.",
                {"www-authenticate": 'Bearer realm="reverie"'},
            )
        if scope["method"] not in SAFE_METHODS and not _same_origin(scope, headers, host):
            return 403, "Refused: this request did not come from a page of this server.", {}
        return None

    def _authorized(self, scope: Scope, headers: Headers) -> bool:
        assert self.token is not None and self.cookie is not None
        expected = self.token.encode()
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
            return True
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except CookieError:  # a malformed Cookie header: as if there were none
            cookies = SimpleCookie()
        morsel = cookies.get(self.cookie)
        if morsel is not None and hmac.compare_digest(morsel.value.encode(), expected):
            return True
        return scope["method"] == "GET" and self._query_token(scope)

    def _query_token(self, scope: Scope) -> bool:
        assert self.token is not None
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        given = query.get("token")
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    async def _set_cookie(self, scope: Scope, send: Send) -> None:
        """Answer ``?token=`` with the cookie, and a redirect to the URL without the token."""
        assert self.token is not None and self.cookie is not None
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        rest = urlencode([(k, v) for k, v in pairs if k != "token"])
        location = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
        cookie = f"{self.cookie}={self.token}; HttpOnly; SameSite=Strict; Path=/"
        await _plain(send, 303, "See Other", {"location": location, "set-cookie": cookie})


def _same_origin(scope: Scope, headers: Headers, host: str) -> bool:
    """A state-changing request from this server's own pages (see the module docstring)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is None or origin == "null":
        return True
    return origin.lower() == f"{scope.get('scheme', 'http')}://{host}".lower()


async def _plain(send: Send, status: int, text: str, headers: dict[str, str]) -> None:
    body = text.encode() + b"\n"
    raw = [(b"content-type", b"text/plain; charset=utf-8"),
           (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
