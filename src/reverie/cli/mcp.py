"""``reverie mcp``: serve the approved rules to agents over the Model Context Protocol (stdio).

Needs the ``reverie[mcp]`` extra (the official ``mcp`` SDK). The protocol runs
on stdin and stdout, so the command prints nothing there itself; waits for
the workspace lock are reported on stderr.
"""

from __future__ import annotations

from typing import Annotated

import typer

from reverie.cli.common import TenantOpt, WorkspaceOpt, resolve


def _agent_option(value: str | None) -> str | None:
    from reverie.names import check_agent

    try:
        return None if value is None else check_agent(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def mcp(
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent", "-a",
            help="Serve this agent's rules (and fleet rules) and record its uses; default: "
            "fleet rules, the agent named by each call.",
            callback=_agent_option,
        ),
    ] = None,
) -> None:
    """Serve approved rules to agents over MCP (stdio) and record how they are used.

    Add it to an MCP client, e.g. `claude mcp add reverie -- reverie mcp -w /path/to/ws`.
    Every retrieval and feedback is recorded; the dream uses them (docs/rules.md).
    """
    from reverie.cli.locking import say_waiting
    from reverie.serving.server import create_server
    from reverie.workspace import Workspace

    settings = resolve(workspace)
    with Workspace(settings, on_wait=say_waiting) as ws:
        create_server(ws, tenant or settings.tenant, agent).run("stdio")


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)
