"""Recorded responses for the real ``anthropic`` client: replay in tests, never call out.

:class:`ReplayTransport` is an ``httpx`` transport (``httpx2`` under anthropic
2.x) that answers each request from a JSON recording and refuses any request
it has no recording for (so a test can never reach the paid API). Plug it into the official SDK with
:func:`replay_client`. A recording file holds::

    {"request":  {"method": "POST", "url": "https://api.anthropic.com/v1/messages",
                  "body": {...the JSON body the SDK sends...}},
     "response": {"status_code": 200, "headers": {"content-type": "application/json"},
                  "body": {...the Messages API answer...}}}

A request matches a recording when method, path and canonical JSON body are
equal. Recordings carry no credentials: request headers are never stored, and
:class:`RecordingTransport` (to record against the real API once) keeps only
the response's ``content-type``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import orjson
from anthropic import _base_client

from reverie.ids import make_id

__all__ = [
    "RecordingTransport",
    "ReplayTransport",
    "UnrecordedRequest",
    "http",
    "replay_client",
]

# The HTTP package the installed SDK is built on: ``httpx``, or its fork ``httpx2``
# (anthropic 2.x), whose client objects the SDK insists on. Same API either way.
http: Any = vars(_base_client).get("httpx2") or vars(_base_client)["httpx"]

DUMMY_KEY = "sk-ant-replay-not-a-key"


class UnrecordedRequest(http.TransportError):
    """A request no recording matches; the message says how to add one."""


def request_key(method: str, path: str, body: Any) -> str:
    return make_id("llm-request", method.upper(), path, body)


def _body(request: http.Request) -> Any:
    raw = request.read()
    return orjson.loads(raw) if raw else None


class ReplayTransport(http.BaseTransport):
    """Answer requests from recordings in ``folder`` (``*.json``); refuse everything else."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.recordings: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.unmatched: list[dict[str, Any]] = []
        for path in sorted(self.folder.glob("*.json")):
            rec = orjson.loads(path.read_bytes())
            req = rec["request"]
            key = request_key(req["method"], http.URL(req["url"]).path, req["body"])
            self.recordings[key] = rec

    def handle_request(self, request: http.Request) -> http.Response:
        body = _body(request)
        seen = {"method": request.method, "url": str(request.url), "body": body}
        self.requests.append(seen)
        rec = self.recordings.get(request_key(request.method, request.url.path, body))
        if rec is None:
            self.unmatched.append(seen)
            raise UnrecordedRequest(
                f"no recording in {self.folder} for {request.method} {request.url.path} "
                f"(key {request_key(request.method, request.url.path, body)}); real calls are "
                "refused: add a recording with this request body",
                request=request,
            )
        resp = rec["response"]
        return http.Response(
            resp.get("status_code", 200),
            headers=resp.get("headers", {"content-type": "application/json"}),
            content=orjson.dumps(resp["body"]),
            request=request,
        )


class RecordingTransport(http.BaseTransport):
    """Forward to ``inner`` (a real transport) and save each exchange, without credentials."""

    def __init__(self, folder: Path, inner: http.BaseTransport | None = None):
        self.folder = Path(folder)
        self.inner = inner or http.HTTPTransport()

    def handle_request(self, request: http.Request) -> http.Response:
        body = _body(request)
        response = self.inner.handle_request(request)
        response.read()
        key = request_key(request.method, request.url.path, body)
        record = {
            "request": {"method": request.method, "url": str(request.url), "body": body},
            "response": {
                "status_code": response.status_code,
                "headers": {"content-type": response.headers.get("content-type", "")},
                "body": orjson.loads(response.content),
            },
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{key.split(':', 1)[1]}.json").write_bytes(
            orjson.dumps(record, option=orjson.OPT_INDENT_2)
        )
        return response


def replay_client(transport: ReplayTransport) -> anthropic.Anthropic:
    """The official client over ``transport``, with a dummy key and no retries."""
    return anthropic.Anthropic(
        api_key=DUMMY_KEY, http_client=http.Client(transport=transport), max_retries=0
    )
