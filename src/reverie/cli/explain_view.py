"""What ``reverie explain`` prints: a rule's explanation, and a render's.

The library builds :class:`~reverie.rulebook.explain.Explanation` and
:class:`~reverie.render.records.RenderExplanation`; this module turns them into
rich renderables for a terminal reader (printed through
:class:`~reverie.cli.terminal.SafeConsole`: control characters show as escapes).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from reverie.cli.terminal import DataTable, printable
from reverie.models import Motif
from reverie.render.records import RenderExplanation
from reverie.rulebook.explain import Explanation

__all__ = ["print_render_explanation", "render_explanation"]


def _rule_panel(x: Explanation) -> Panel:
    r = x.rule
    ev = r["evidence"]
    tools = ", ".join(r["scope"]["tools"]) or "-"
    body = Text.from_markup(
        f"[bold]{escape(r['directive'])}[/]\n"
        f"[dim]when:[/] {escape(r['when'])}\n[dim]because:[/] {escape(r['because'])}\n"
        f"[dim]status:[/] {r['status']}  [dim]confidence:[/] {r['confidence']}  "
        f"[dim]version:[/] {r['version']}  [dim]distiller:[/] {escape(r['distiller'])}\n"
        f"[dim]scope:[/] tenant {escape(r['scope']['tenant'])}, agents "
        f"{escape(str(r['scope']['agents']))}, tools {escape(tools)}\n"
        f"[dim]evidence:[/] motif {ev['motif_id']}, {len(ev['sessions'])} sessions, "
        f"{len(ev['agents'])} agents, support {ev['support']} "
        f"(trust-weighted {ev['trust_support']})"
    )
    return Panel(body, title=f"{r['id']}  {escape(r['title'])}", expand=False)


def _motif_table(m: Motif) -> DataTable:
    t = DataTable(title="motif and scores", show_header=False, box=None)
    for key in (
        "id",
        "tool",
        "program",
        "kind",
        "support",
        "trust_support",
        "score",
        "lift",
        "cross_agent",
        "first_seen",
        "last_seen",
    ):
        t.add_row(key, str(getattr(m, key)))
    t.add_row("template", m.template[:300])
    t.add_row("recovery", str({k: v for k, v in m.recovery.items() if k != "alternatives"}))
    t.add_row("cost", str(m.cost))
    return t


def _occurrences(x: Explanation) -> list[Any]:
    out: list[Any] = [Text("failures and what came next", style="bold underline")]
    for m in x.merged:
        facts = m.facts or {}
        out.append(
            Text(
                f"  merged into this seeded rule: motif {m.id} ({len(m.sessions)} sessions "
                f"of tenant {x.tenant}; fix: {facts.get('fix') or m.recovery.get('value') or '-'})",
                style="dim",
            )
        )
    if not x.occurrences:
        seeded = x.rule.get("seeded")
        out.append(
            Text(
                "  (seeded rule: no transcript evidence)"
                if seeded
                else "  (no evidence events found in the store for this tenant)",
                style="dim",
            )
        )
    for occ in x.occurrences:
        out.append(
            Text(
                f"session {occ.native_session_id or occ.session_id} (agent {occ.agent})",
                style="bold",
            )
        )
        for ln in occ.lines:
            shown = ln.text or (str(ln.input) if ln.input is not None else "")
            snippet = printable(" ".join(shown.split())[:240])
            out.append(
                Text.assemble(
                    (f"  {ln.file}:{ln.line}", "cyan"),
                    (f"  {ln.role} [{ln.trust}] {ln.tool or ln.kind}: ", "dim"),
                    snippet,
                )
            )
    return out


def _history_table(x: Explanation) -> DataTable:
    t = DataTable(title="history", show_lines=False)
    for col in ("when", "action", "who", "why"):
        t.add_column(col)
    for h in x.history:
        t.add_row(h.at.isoformat(timespec="seconds"), h.action, h.actor, h.reason)
    return t


def render_explanation(x: Explanation, console: Console) -> None:
    """Print the explanation for a terminal reader (the CLI's console is a
    :class:`~reverie.cli.terminal.SafeConsole`: control characters show as escapes)."""
    parts: list[Any] = [_rule_panel(x)]
    if x.motif is not None:
        parts.append(_motif_table(x.motif))
    parts += _occurrences(x)
    if x.sessions:
        parts.append(
            Text(
                "sessions: "
                + ", ".join(f"{s['native_id'] or s['id']} ({s['agent']})" for s in x.sessions)
            )
        )
    parts.append(_history_table(x))
    parts.append(Text(f"audit log entries about this rule: {len(x.audit)}", style="dim"))
    console.print(Group(*parts))


def print_render_explanation(x: RenderExplanation, console: Console) -> None:
    """Print the explanation of a render for a terminal reader."""
    last = x.last
    console.print(
        f"[bold]render {x.hash}[/] ({last.kind}) of template {escape(last.template)} for tenant "
        f"{escape(x.tenant)}, agent {escape(last.agent or 'fleet (any agent)')}"
    )
    where = f", written to {escape(last.output)}" if last.output else ""
    console.print(
        f"rendered {x.renders} time(s), first {x.first_at.isoformat(timespec='seconds')}, "
        f"last {last.at.isoformat(timespec='seconds')}{where}; {last.tokens} tokens "
        f"({escape(last.counter)})" + (f", budget {last.budget}" if last.budget else "")
    )
    table = DataTable(title=f"{len(last.rules)} rules in the prompt, in order")
    for col in ("rule", "score", "directive", "approved by", "why it is in", "now"):
        table.add_column(col, overflow="fold")
    for row in x.rules:
        r = row.recorded
        now = "gone from the rule book"
        if row.status_now is not None:
            changed = row.status_now != "approved" or row.version_now != r.version
            now = f"{row.status_now} v{row.version_now}" + (" (changed)" if changed else "")
        table.add_row(
            f"{r.id} v{r.version}",
            f"{r.score:.2f} = {r.confidence:.2f} x trust {r.trust_weight:.2f}",
            r.directive,
            r.approved_by or "-",
            (
                "seeded good practice"
                if r.seeded
                else f"{r.sessions} sessions, {len(r.agents)} agents, support {r.support}"
            )
            + (f"; {r.approval}" if r.approval else ""),
            now,
        )
    console.print(table)
    if last.left_out:
        ids = ", ".join(r.id for r in last.left_out)
        console.print(f"left out to fit the budget: {len(last.left_out)} ({ids})", markup=False)
    for w in last.withheld:
        console.print(f"withheld {w.id}: {', '.join(w.reasons)}", markup=False)
    console.print("For a rule's evidence: reverie explain ID", style="dim")
