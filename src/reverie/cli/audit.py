"""``reverie audit verify|anchor``: check the decision log, and the rule files against it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from reverie.cli.common import JsonOpt, WorkspaceOpt, console, err_console, print_json, resolve
from reverie.cli.locking import workspace_locked
from reverie.errors import AuditError, ReverieError

if TYPE_CHECKING:
    from reverie.audit.log import AuditReport
    from reverie.settings import Settings

audit_app = typer.Typer(
    help="The append-only, keyed and hash-chained log of every decision.", no_args_is_help=True
)

AnchorOpt = Annotated[
    str | None,
    typer.Option(
        "--anchor",
        help="SEQ:HASH (or HASH) printed earlier by `reverie audit anchor`: check the log "
        "still holds that entry at that place.",
        show_default=False,
    ),
]


def _check(settings: Settings, anchor: str | None) -> tuple[AuditReport | None, str | None, dict]:
    """The chain's report (or its error) and the rules no logged decision explains."""
    from reverie.audit.log import AuditLog
    from reverie.audit.rules import unexplained_rules
    from reverie.rulebook.rules import load_rules

    report, error, rules = None, None, {}
    with workspace_locked(settings, "reverie audit verify"):
        try:
            report = AuditLog(settings.state_dir).verify(anchor)
        except AuditError as exc:
            error = str(exc)
        try:
            rules = unexplained_rules(settings.state_dir, load_rules(settings.rules_dir))
        except ReverieError as exc:
            rules = {"(rules)": f"the rule book cannot be checked: {exc}"}
    return report, error, rules


@audit_app.command("verify")
def verify(
    workspace: WorkspaceOpt = None, anchor: AnchorOpt = None, as_json: JsonOpt = False
) -> None:
    """Verify the chain and the rule files; fail and name each entry or rule that is wrong.

    An entry that was edited, deleted, reordered or duplicated, a cut end, and a
    rule file whose status, directive or version no logged decision explains
    (such a rule is not rendered) are reported, and the command exits 1. With
    --anchor the log must still hold the anchored entry at its place.
    """
    settings = resolve(workspace)
    report, error, rules = _check(settings, anchor)
    if as_json:
        data: dict[str, Any] = {"ok": error is None and not rules}
        data |= report.model_dump() if report else {"error": error}
        print_json(data | {"unexplained_rules": rules})
    if error is not None:
        if not as_json:
            err_console.print(
                f"[bold red]error:[/] audit log does not verify: {escape(error)}",
                highlight=False,
                soft_wrap=True,
            )
    elif not as_json and report is not None:
        legacy = f" ({report.legacy} legacy unkeyed)" if report.legacy else ""
        anchored = f"; anchor {report.anchor} found" if report.anchor else ""
        console.print(
            f"audit log ok: {report.entries} entries{legacy}, head {report.head or '-'}{anchored}"
        )
    if rules and not as_json:
        for rid, why in sorted(rules.items()):
            err_console.print(
                f"[bold red]error:[/] rule {escape(rid)}: {escape(why)} (not rendered); fix: "
                "restore the file, or record the change with `reverie review`",
                highlight=False,
                soft_wrap=True,
            )
    if error is not None or rules:
        raise typer.Exit(1)


@audit_app.command("anchor")
def anchor(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Print the log's head as SEQ:HASH, to keep outside the workspace.

    Later, `reverie audit verify --anchor SEQ:HASH` checks that the log still
    holds that entry at that place: it detects a rewrite or cut of the log up
    to the anchored entry, even by someone who holds the audit key.
    """
    from reverie.audit.log import AuditLog

    settings = resolve(workspace)
    try:
        with workspace_locked(settings, "reverie audit anchor"):
            value = AuditLog(settings.state_dir).anchor()
    except AuditError as exc:
        raise AuditError(f"audit log does not verify: {exc}") from exc
    if as_json:
        seq, _, digest = value.partition(":")
        print_json({"anchor": value, "seq": int(seq or 0), "hash": digest})
    else:
        console.print(value or "the audit log is empty: nothing to anchor", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
