"""``reverie audit verify``: check the hash chain of the decision log."""

from __future__ import annotations

import typer
from rich.markup import escape

from reverie.audit import AuditLog
from reverie.cli.common import JsonOpt, WorkspaceOpt, console, fail, print_json, resolve
from reverie.errors import AuditError

audit_app = typer.Typer(
    help="The append-only, hash-chained log of every decision.", no_args_is_help=True
)


@audit_app.command("verify")
def verify(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Verify the chain; fail and name the entry if one was edited, deleted or reordered."""
    settings = resolve(workspace)
    try:
        report = AuditLog(settings.state_dir).verify()
    except AuditError as exc:
        if as_json:
            print_json({"ok": False, "error": str(exc)})
        raise fail(escape(f"audit log does not verify: {exc}")) from exc
    if as_json:
        print_json({"ok": True} | report.model_dump())
    else:
        console.print(f"audit log ok: {report.entries} entries, head {report.head or '-'}")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
