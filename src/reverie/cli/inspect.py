"""``reverie stats`` and ``reverie sessions``: look at what is in the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from reverie.cli.common import (
    JsonOpt,
    TenantOpt,
    WorkspaceOpt,
    console,
    print_json,
    resolve,
    store_for,
)
from reverie.cli.terminal import DataTable
from reverie.errors import InputError

if TYPE_CHECKING:
    from reverie.models import Event

sessions_app = typer.Typer(help="List sessions and show one as a timeline.", no_args_is_help=True)


def stats(
    workspace: WorkspaceOpt = None, tenant: TenantOpt = None, as_json: JsonOpt = False
) -> None:
    """Per tenant: agents, sessions, events by kind, tool calls and tool errors."""
    settings = resolve(workspace)
    with store_for(settings) as store:
        tenants = [tenant] if tenant else store.tenants()
        rows = [store.stats(t) for t in tenants]
        info = store.info()
    if as_json:
        print_json({"store": info, "tenants": [r.model_dump() for r in rows]})
        return
    table = DataTable(title=f"Reverie store ({info['kind']})")
    for col in (
        "tenant",
        "agents",
        "sessions",
        "events",
        "messages",
        "tool calls",
        "tool errors",
        "outcomes",
    ):
        table.add_column(col, justify="left" if col == "tenant" else "right")
    for r in rows:
        table.add_row(
            r.tenant,
            str(r.agents),
            str(r.sessions),
            str(r.events),
            str(r.events_by_kind.get("message", 0)),
            str(r.tool_calls),
            str(r.tool_errors),
            str(r.outcomes),
        )
    console.print(table)


@sessions_app.command("list")
def list_sessions(
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    agent: Annotated[str | None, typer.Option(help="Only this agent's sessions.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List sessions with their agent, format, start time and task."""
    settings = resolve(workspace)
    with store_for(settings) as store:
        sessions = store.sessions(tenant or settings.tenant, agent=agent)
    if as_json:
        print_json([s.model_dump(mode="json") for s in sessions])
        return
    table = DataTable()
    for col in ("id", "native id", "agent", "format", "started", "task"):
        table.add_column(col, overflow="fold")
    for s in sessions:
        started = s.started_at.strftime("%Y-%m-%d %H:%M") if s.started_at else ""
        table.add_row(s.id[:14], s.native_id, s.agent, s.format, started, (s.task or "")[:60])
    console.print(table)


@sessions_app.command("show")
def show_session(
    ref: Annotated[str, typer.Argument(help="Session id, native id, or a unique prefix.")],
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one session as a readable timeline, errors highlighted."""
    settings = resolve(workspace)
    with store_for(settings) as store:
        t = tenant or settings.tenant
        session = store.find_session(t, ref)
        if session is None:
            raise InputError(
                f"no session {ref!r} in tenant {t!r}, or several match it (runs of one task "
                "share its native id): give the session id (see `reverie sessions list`)"
            )
        events = list(store.events(t, session_id=session.id))
    if as_json:
        print_json(
            {
                "session": session.model_dump(mode="json"),
                "events": [e.model_dump(mode="json") for e in events],
            }
        )
        return
    console.print(
        Text.assemble((session.native_id, "bold"), f"  agent {session.agent}  ({session.format})")
    )
    for ev in events:
        console.print(_timeline_line(ev))


def _timeline_line(ev: Event) -> Text:
    when = ev.timestamp.strftime("%H:%M:%S") if ev.timestamp else "        "
    body = (ev.text or "").strip().replace("\n", " ")
    if ev.kind == "tool_call":
        label, style = f"call {ev.tool}", "cyan"
        body = str(ev.tool_input)
    elif ev.kind == "tool_result":
        label, style = (
            ("ERROR " if ev.is_error else "result ") + (ev.tool or ""),
            ("bold red" if ev.is_error else "green"),
        )
    else:
        label, style = ev.role or "message", "magenta" if ev.role == "user" else "white"
    line = Text(f"{when} ")
    line.append(f"{label:<18}", style=style)
    line.append(body[:160])
    line.append(f"  {ev.source.file.rsplit('/', 1)[-1]}:{ev.source.line}", style="dim")
    return line


def register(app: typer.Typer) -> None:
    app.command()(stats)
    app.add_typer(sessions_app, name="sessions")
