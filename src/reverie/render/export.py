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

The section is found only by exact markers: one begin line and one end line
after it, each alone on its line and in its exact form. A file holding anything
else that looks like a marker (a second pair, a marker inside other text, an
end without a begin) is refused, naming the line of every offending marker,
and nothing is written; so is a render whose own text holds a marker.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import ConfigError, InputError
from reverie.render.kinds import EXPORTS
from reverie.render.records import RenderLog, make_record, render_workspace
from reverie.render.tokens import TokenCounter

if TYPE_CHECKING:
    from reverie.workspace import Workspace

__all__ = [
    "END",
    "EXPORTS",
    "MARKER",
    "ExportResult",
    "export",
    "section_text",
    "splice",
    "write_section",
]

ExportAction = Literal["created", "appended", "replaced", "unchanged"]
END = "<!-- reverie:end -->"
# anything that looks like one of Reverie's markers, wherever it is on a line
MARKER = re.compile(r"<!--\s*reverie:(begin|end)\b", re.IGNORECASE)
# the exact lines: a begin marker (the kind, then free words) and the end marker
BEGIN_LINE = re.compile(r"<!-- reverie:begin [a-z][a-z-]*(?: [^<>]*)? -->")


class ExportResult(BaseModel):
    """What an export did to the file."""

    model_config = ConfigDict(extra="forbid")

    path: str
    kind: str
    action: ExportAction
    render: str
    rules: int
    omitted: int
    withheld: list[str] = Field(default_factory=list)


def section_text(kind: str, digest: str, body: str) -> str:
    """The marked section: begin marker, ``body`` (ending in a newline), end marker."""
    begin = (
        f"<!-- reverie:begin {kind} render={digest} (managed by `reverie export {kind}`; "
        "edits inside are replaced, edit the rule book instead) -->"
    )
    return f"{begin}\n{body.rstrip(chr(10))}\n{END}"


class _Marker(NamedTuple):
    line: int  # 1-based
    kind: str  # "begin" or "end"
    exact: bool  # the whole line is exactly a marker of that kind
    start: int  # offset of the line's first character
    end: int  # offset just past the line's last character (before "\r\n" / "\n")


def _markers(text: str) -> list[_Marker]:
    """Every line of ``text`` holding something that looks like a Reverie marker."""
    found: list[_Marker] = []
    offset = 0
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        kinds = [m.group(1).lower() for m in MARKER.finditer(line)]
        if kinds:
            kind = kinds[0]
            exact = len(kinds) == 1 and (
                line == END if kind == "end" else BEGIN_LINE.fullmatch(line) is not None
            )
            found.append(_Marker(number, kind, exact, offset, offset + len(line)))
        offset += len(raw) + 1
    return found


def _problems(markers: list[_Marker]) -> list[tuple[int, str]]:
    """``(line, what is wrong)`` for every marker that keeps the markers from being one pair."""
    problems = [
        (m.line, f"{m.kind} marker not alone on its line in its exact form")
        for m in markers
        if not m.exact
    ]
    exact = [m for m in markers if m.exact]
    begins = [m for m in exact if m.kind == "begin"]
    ends = [m for m in exact if m.kind == "end"]
    problems += [(m.line, "a second begin marker") for m in begins[1:]]
    problems += [(m.line, "a second end marker") for m in ends[1:]]
    if begins and not ends:
        problems.append((begins[0].line, "a begin marker without an end marker"))
    elif ends and not begins:
        problems.append((ends[0].line, "an end marker without a begin marker"))
    elif begins and ends and ends[0].line < begins[0].line:
        problems.append(
            (ends[0].line, f"an end marker before the begin marker (line {begins[0].line})")
        )
    return sorted(problems)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def splice(existing: str, section: str, path: Path | str = "<file>") -> tuple[str, ExportAction]:
    """``existing`` with its marked section replaced by ``section`` (or appended); the action.

    The section is found by its markers only when they are exactly one
    well-formed pair: one begin line and one end line after it, each alone on
    its line and in its exact form. Anything else that looks like a marker
    (a second one, one inside other text, an end without a begin) is an
    :class:`~reverie.errors.InputError` naming the line of every offending
    marker, and nothing is written.
    """
    if "\r\n" in existing:
        section = section.replace("\n", "\r\n")
    markers = _markers(existing)
    problems = _problems(markers)
    if problems:
        lines = "; ".join(f"line {line}: {what}" for line, what in problems)
        raise InputError(
            f"Reverie's section markers are not one well-formed pair ({lines}); fix: keep "
            f"exactly one `<!-- reverie:begin ... -->` line and one `{END}` line after it, each "
            "alone on its line, and delete the other markers (or delete them all: the section "
            "is then appended anew)",
            path,
            problems[0][0],
        )
    if not markers:
        newline = "\r\n" if "\r\n" in existing else "\n"
        if not existing:
            return section + newline, "appended"
        sep = "" if existing.endswith(newline) else newline
        return existing + sep + newline + section + newline, "appended"
    begin, end = markers
    new = existing[: begin.start] + section + existing[end.end :]
    return new, "replaced" if new != existing else "unchanged"


def _check_body(body: str, origin: str) -> None:
    """A rendered body may hold no marker: the next export would refuse the file."""
    found = MARKER.search(body)
    if found is not None:
        raise InputError(
            f"the rendered text holds a Reverie section marker ({found.group()!r}) at line "
            f"{_line_of(body, found.start())}; fix the template so it prints no "
            "`<!-- reverie:` comment",
            origin,
        )


def write_section(
    path: Path, kind: str, digest: str, body: str, origin: str = "the rendered text"
) -> ExportAction:
    """Put the section into ``path`` (see the module docstring); return the action taken.

    ``origin`` (the template file) is named when ``body`` itself holds a marker.
    """
    _check_body(body, origin)
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
    workspace: Workspace,
    tenant: str,
    kind: str,
    into: Path,
    *,
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
        workspace, tenant, EXPORTS[kind], agent=agent, budget=budget, counter=counter
    )
    action = write_section(into, kind, result.hash, result.text, result.template_file)
    record = make_record(result, rules, at, kind="export", output=into.resolve())
    RenderLog(workspace.settings.state_dir).append(record)
    return ExportResult(
        path=str(into),
        kind=kind,
        action=action,
        render=result.hash,
        rules=result.context.rule_count,
        omitted=result.context.omitted,
        withheld=[w.id for w in result.withheld],
    )
