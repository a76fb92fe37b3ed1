"""A blocking MCP client: the SDK's own client, over stdio, to a real ``reverie mcp`` process.

:func:`connect` starts ``reverie mcp ARGS`` (the venv's entry point) with
:func:`mcp.client.stdio.stdio_client`, opens a :class:`mcp.client.session.ClientSession` and
initializes it, all on an event loop in a thread (an anyio blocking portal),
so tests (``tests/mcp``) can share one server and call it from plain
functions. Every call is bounded by a timeout. Needs ``reverie[mcp]``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult

__all__ = ["REVERIE", "Client", "connect", "rule_ids", "text_of"]

REVERIE = Path(sys.executable).with_name("reverie")
TIMEOUT = 30.0


class Client:
    """Blocking calls on one initialized session."""

    def __init__(self, portal: BlockingPortal, session: ClientSession):
        self.portal, self.session = portal, session

    def tools(self) -> list[str]:
        return sorted(t.name for t in self.portal.call(self.session.list_tools).tools)

    def call(self, name: str, **arguments: Any) -> CallToolResult:
        async def run() -> CallToolResult:
            return await self.session.call_tool(name, arguments,
                                                read_timeout_seconds=TIMEOUT)

        return self.portal.call(run)

    def ok(self, name: str, **arguments: Any) -> dict[str, Any]:
        """The structured result of a call that must succeed."""
        result = self.call(name, **arguments)
        assert not result.is_error, text_of(result)
        assert isinstance(result.structured_content, dict)
        return result.structured_content

    def error(self, name: str, **arguments: Any) -> str:
        """The message of a call that must fail (an error result, not a crash)."""
        result = self.call(name, **arguments)
        assert result.is_error, result
        return text_of(result)

    def resources(self) -> list[str]:
        return sorted(str(r.uri) for r in self.portal.call(self.session.list_resources).resources)

    def read(self, uri: str) -> str:
        async def run() -> str:
            contents = (await self.session.read_resource(uri)).contents
            return "".join(getattr(c, "text", "") for c in contents)

        return self.portal.call(run)


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


def rule_ids(payload: dict[str, Any]) -> list[str]:
    return [r["id"] for r in payload["rules"]]


@contextmanager
def connect(*args: str) -> Iterator[Client]:
    """``reverie mcp ARGS`` as a subprocess, with an initialized session to it."""
    params = StdioServerParameters(command=str(REVERIE), args=["mcp", *args])
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(stdio_client(params)) as (read, write),
    ):
        session = ClientSession(read, write, read_timeout_seconds=TIMEOUT)
        with portal.wrap_async_context_manager(session):
            portal.call(session.initialize)
            yield Client(portal, session)
