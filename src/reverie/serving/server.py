"""The MCP server of ``reverie mcp``: rules served to agents at run time, over stdio.

:func:`create_server` builds an :class:`mcp.server.mcpserver.MCPServer` (the
official SDK's high-level server) for one workspace, one tenant and,
optionally, one agent. It holds no logic of its own: each tool and resource
calls :mod:`reverie.serving.query` or :mod:`reverie.serving.usage`.

Tools:

- ``rules_for(tool?, command?, task?, agent?)``: the approved rules that apply,
  most trusted first, each with its id and a one-line why (each retrieval is
  recorded);
- ``explain_rule(id)``: the rule's evidence with ``file:line`` links;
- ``rule_feedback(id, helped, note?)``: whether a rule helped (recorded in the
  store and the audit log).

Resources: ``reverie://rules/claude-md`` and ``reverie://rules/agents-md``, the
marked section ``reverie export`` would write for the agent.

A refused request (a rule that is not served, another tenant's rule, another
agent than the server's) is an error result naming why, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from reverie.errors import ReverieError
from reverie.names import check_agent
from reverie.render.kinds import EXPORTS
from reverie.serving.matching import Situation
from reverie.serving.query import explain_rule, rules_for, rules_section, served_rule
from reverie.serving.usage import WITHHELD, record_feedback
from reverie.workspace import Workspace

__all__ = ["INSTRUCTIONS", "create_server"]

INSTRUCTIONS = (
    "Reverie serves the rules this fleet learned from its own past sessions, each reviewed "
    "by a person. Before a step (a tool call, a command, a task), call rules_for with what "
    "you are about to do and follow the rules it returns. Call explain_rule to see a rule's "
    "evidence. After following a rule, call rule_feedback to say whether it helped."
)

ToolArg = Annotated[
    str | None, Field(description="The tool about to be called, e.g. Bash or Edit.")
]
CommandArg = Annotated[
    str | None, Field(description="The command line about to run, e.g. `git commit -m x`.")
]
TaskArg = Annotated[str | None, Field(description="The task in a few words.")]
AgentArg = Annotated[
    str | None,
    Field(description="Your agent name, if the server was not started for one agent."),
]
RuleIdArg = Annotated[str, Field(description="A rule id, e.g. R-0007.")]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Bound:
    """The server's workspace, tenant and agent, and the checks every tool shares."""

    def __init__(self, workspace: Workspace, tenant: str, agent: str | None,
                 clock: Callable[[], datetime]):
        self.workspace, self.tenant, self.agent, self.clock = workspace, tenant, agent, clock

    def agent_for(self, asked: str | None) -> str | None:
        if asked:
            try:
                check_agent(asked)
            except ValueError as exc:
                raise ToolError(str(exc)) from exc
        if asked and self.agent and asked != self.agent:
            raise ToolError(f"this server serves agent {self.agent!r}, not {asked!r}")
        return self.agent or asked or None


def create_server(
    workspace: Workspace,
    tenant: str,
    agent: str | None = None,
    *,
    clock: Callable[[], datetime] = _utc_now,
) -> MCPServer:
    """The MCP server for ``tenant`` (and ``agent``) of ``workspace``; ``clock`` times uses."""
    bound = _Bound(workspace, tenant, agent, clock)
    server: MCPServer = MCPServer(name="reverie", instructions=INSTRUCTIONS, log_level="WARNING")
    reading = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                              open_world_hint=False)

    @server.tool(name="rules_for", annotations=reading)
    async def rules_for_tool(
        tool: ToolArg = None, command: CommandArg = None, task: TaskArg = None,
        agent: AgentArg = None,
    ) -> dict[str, Any]:
        """The reviewed rules that apply to what you are about to do, most trusted first.

        Give any of the tool, the command line and the task; with none, every rule
        served to you. Each rule has its id, the directive, when it applies, why, and
        what of your situation it matched."""
        who = bound.agent_for(agent)
        try:
            found = rules_for(bound.workspace, bound.tenant,
                              Situation(tool=tool, command=command, task=task),
                              agent=who, at=bound.clock())
        except ReverieError as exc:
            raise ToolError(str(exc)) from exc
        return {"tenant": bound.tenant, "agent": who, "rules": [r.model_dump() for r in found]}

    @server.tool(name="explain_rule",
                 annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False))
    async def explain_rule_tool(id: RuleIdArg, agent: AgentArg = None) -> dict[str, Any]:
        """Why a rule exists: its motif, the failures it came from as file:line, decisions."""
        try:
            return explain_rule(bound.workspace, bound.tenant, id, bound.agent_for(agent))
        except ReverieError as exc:
            raise ToolError(str(exc)) from exc

    @server.tool(name="rule_feedback", annotations=reading)
    async def rule_feedback_tool(
        id: RuleIdArg,
        helped: Annotated[bool, Field(description="Whether following the rule helped.")],
        note: Annotated[str, Field(description="What happened, in a sentence (optional).")] = "",
        agent: AgentArg = None,
    ) -> dict[str, Any]:
        """Say whether a rule you were served helped; reviewers and the nightly dream use it."""
        who = bound.agent_for(agent)
        try:
            served_rule(bound.workspace, bound.tenant, id, who)
            use = record_feedback(bound.workspace, bound.tenant, id, agent=who, helped=helped,
                                  note=note, at=bound.clock())
        except ReverieError as exc:
            raise ToolError(str(exc)) from exc
        return {"recorded": use.id, "rule": id, "helped": helped,
                "note": WITHHELD if use.flags
                else ("kept" if use.note else "none")}

    for kind in EXPORTS:
        _section_resource(server, bound, kind)
    return server


def _section_resource(server: MCPServer, bound: _Bound, kind: str) -> None:
    @server.resource(
        f"reverie://rules/{kind}",
        name=f"rules-{kind}",
        description=f"The rules section `reverie export {kind}` would write for this agent.",
        mime_type="text/markdown",
    )
    async def section() -> str:
        try:
            return rules_section(bound.workspace, bound.tenant, bound.agent, kind)
        except ReverieError as exc:
            raise ResourceError(str(exc)) from exc
