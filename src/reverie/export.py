"""Export rules into a file people also edit: only Reverie's own marked section changes.

``reverie export claude-md --into CLAUDE.md`` renders the ``claude_md``
template (``agents-md``: ``agents_md``) and puts it between two markers::

    <!-- reverie:begin claude-md render=b2:... (managed by `reverie export`; ...) -->
    ...the rendered rules...
    <!-- reverie:end -->

If the file has the section, only the bytes from the start of the begin
marker to the end of the end marker are replaced; every byte before and after
is kept. If it has none, the section is appended (after a blank line); a file
that does not exist is created. The begin marker carries the render's hash,
for ``reverie explain --render HASH``. The rendered text holds no time, so a
second export with the same rules produces the same bytes and the file is not
written at all. A file that uses CRLF line endings gets a CRLF section.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from reverie.errors import ConfigError, InputError
from reverie.render_records import RenderLog, make_record, render_workspace
from reverie.settings import Settings
from reverie.tokens import TokenCounter

__all__ = ["END", "EXPORTS", "ExportResult", "export", "section_text", "splice", "write_section"]

ExportAction = Literal["created", "appended", "replaced", "unchanged"]
EXPORTS: dict[str, str] = {"claude-md": "claude_md", "agents-md": "agents_md"}
BEGIN = re.compile(r"<!-- reverie:begin\b[^\n]*?-->")
END = "<!-- reverie:end -->"


class ExportResult(BaseModel):
    """What an export did to the file."""

    model_config = ConfigDict(extra="forbid")

    path: str
    kind: str
    action: ExportAction
    render: str
    rules: int
    omitted: int


def section_text(kind: str, digest: str, body: str) -> str:
    """The marked section: begin marker, ``body`` (ending in a newline), end marker."""
    begin = (
        f"<!-- reverie:begin {kind} render={digest} (managed by `reverie export {kind}`; "
        "edits inside are replaced, edit the rule book instead) -->"
    )
    return f"{begin}\n{body.rstrip(chr(10))}\n{END}"


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def splice(existing: str, section: str, path: Path | str = "<file>") -> tuple[str, ExportAction]:
    """``existing`` with its marked section replaced by ``section`` (or appended); the action.

    A second begin marker, or a begin marker without an end marker, is an
    :class:`~reverie.errors.InputError` naming the line, and nothing is written.
    """
    if "\r\n" in existing:
        section = section.replace("\n", "\r\n")
    begins = list(BEGIN.finditer(existing))
    if len(begins) > 1:
        raise InputError(
            "two Reverie sections (`<!-- reverie:begin` markers); fix: delete one of them",
            path,
            _line_of(existing, begins[1].start()),
        )
    if not begins:
        if END in existing:
            raise InputError(
                "a `<!-- reverie:end -->` marker without a begin marker; fix: delete it",
                path,
                _line_of(existing, existing.index(END)),
            )
        newline = "\r\n" if "\r\n" in existing else "\n"
        if not existing:
            return section + newline, "appended"
        sep = "" if existing.endswith(newline) else newline
        return existing + sep + newline + section + newline, "appended"
    start = begins[0].start()
    end = existing.find(END, begins[0].end())
    if end < 0:
        raise InputError(
            "the Reverie section has no `<!-- reverie:end -->` marker; fix: add it where the "
            "section ends, or delete the begin marker",
            path,
            _line_of(existing, start),
        )
    new = existing[:start] + section + existing[end + len(END) :]
    return new, "replaced" if new != existing else "unchanged"


def write_section(path: Path, kind: str, digest: str, body: str) -> ExportAction:
    """Put the section into ``path`` (see the module docstring); return the action taken."""
    path = Path(path).resolve()  # a symlinked CLAUDE.md stays a symlink
    section = section_text(kind, digest, body)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((section + "\n").encode("utf-8"))
        return "created"
    try:
        existing = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file to export into: {exc}", path) from exc
    new, action = splice(existing, section, path)
    if action == "unchanged":
        return action
    tmp = path.with_name(f".{path.name}.reverie.tmp")
    tmp.write_bytes(new.encode("utf-8"))
    shutil.copymode(path, tmp)
    os.replace(tmp, path)
    return action


def export(
    settings: Settings,
    kind: str,
    into: Path,
    *,
    tenant: str,
    agent: str | None,
    at: datetime,
    budget: int | None = None,
    counter: TokenCounter | None = None,
) -> ExportResult:
    """Render ``kind``'s template for ``tenant``/``agent``, record it, write it into ``into``."""
    if kind not in EXPORTS:
        raise ConfigError(f"unknown export {kind!r}; use one of {', '.join(EXPORTS)}")
    into = Path(into)
    result, rules = render_workspace(
        settings, EXPORTS[kind], tenant=tenant, agent=agent, budget=budget, counter=counter
    )
    action = write_section(into, kind, result.hash, result.text)
    record = make_record(result, rules, at, kind="export", output=into.resolve())
    RenderLog(settings.state_dir).append(record)
    return ExportResult(
        path=str(into),
        kind=kind,
        action=action,
        render=result.hash,
        rules=result.context.rule_count,
        omitted=result.context.omitted,
    )
