"""Export: only Reverie's marked section of a file changes; a second export changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reverie.errors import InputError
from reverie.render.export import END, export, splice
from reverie.render.records import RenderLog
from reverie.settings import Settings
from reverie.workspace import Workspace

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BEFORE = "# Project notes\r\n\nUse tabs. Ünïcödé stays — byte for byte.\n\n"
AFTER = "\n\n## My own section\n\nKeep this <!-- a user comment --> too.\n   trailing spaces   "


def _export(ws: Settings, path: Path, kind: str = "claude-md", **kw: Any) -> Any:
    return export(Workspace(ws), "acme", kind, path, agent=kw.pop("agent", None), at=AT, **kw)


def _section(data: bytes) -> bytes:
    start = data.index(b"<!-- reverie:begin")
    return data[start : data.index(END.encode(), start) + len(END)]


def test_export_keeps_user_content_before_and_after_byte_for_byte(
    ws: Settings, book: dict, make_rule: Any, put: Any
) -> None:
    path = ws.root / "CLAUDE.md"
    path.write_bytes(BEFORE.encode())
    first = _export(ws, path)
    assert first.action == "appended" and first.rules == 3
    data = path.read_bytes()
    assert data.startswith(BEFORE.encode())
    # the user adds content after Reverie's section, then the rules change
    path.write_bytes(data + AFTER.encode())
    head = data[: data.index(_section(data))]
    tail = data[data.index(_section(data)) + len(_section(data)) :] + AFTER.encode()
    put(make_rule("R-0050", "Run `ruff check` before pushing.", confidence=0.99, trust_support=6))
    second = _export(ws, path)
    assert second.action == "replaced" and second.rules == 4
    data = path.read_bytes()
    section = _section(data)
    assert data == head + section + tail  # every byte outside the section is kept
    assert head.startswith(BEFORE.encode()) and data.endswith(AFTER.encode())
    assert b"Run `ruff check` before pushing." in section
    assert second.render.encode() in section


def test_a_second_export_with_the_same_rules_changes_nothing(ws: Settings, book: dict) -> None:
    path = ws.root / "AGENTS.md"
    path.write_text("Intro\n", encoding="utf-8")
    _export(ws, path, "agents-md")
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    again = _export(ws, path, "agents-md")
    assert again.action == "unchanged"
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    records = list(RenderLog(ws.state_dir).records("acme"))
    assert [r.kind for r in records] == ["export", "export"]  # both renders recorded
    assert records[0].hash == records[1].hash == again.render


def test_export_creates_a_missing_file_with_only_the_section(ws: Settings, book: dict) -> None:
    path = ws.root / "sub" / "CLAUDE.md"
    result = _export(ws, path)
    data = path.read_text(encoding="utf-8")
    assert result.action == "created"
    assert data.startswith("<!-- reverie:begin claude-md render=b2:") and data.endswith(END + "\n")


def test_export_keeps_crlf_files_crlf(ws: Settings, book: dict) -> None:
    path = ws.root / "CLAUDE.md"
    path.write_bytes(b"Windows notes\r\n")
    _export(ws, path)
    data = path.read_bytes()
    assert data.startswith(b"Windows notes\r\n") and b"\n" not in data.replace(b"\r\n", b"")


def test_two_sections_or_a_missing_end_is_an_error_and_nothing_is_written(
    ws: Settings, book: dict
) -> None:
    path = ws.root / "CLAUDE.md"
    for broken in (
        "a\n<!-- reverie:begin claude-md -->\nx\n<!-- reverie:end -->\n"
        "<!-- reverie:begin claude-md -->\ny\n<!-- reverie:end -->\n",
        "a\nb\n<!-- reverie:begin claude-md -->\nno end\n",
    ):
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(InputError) as err:
            _export(ws, path)
        assert err.value.file == str(path) and err.value.line in (3, 5)
        assert path.read_text(encoding="utf-8") == broken
    assert not list(RenderLog(ws.state_dir).records("acme"))  # a failed export is no render


def test_export_follows_a_symlink(ws: Settings, book: dict) -> None:
    target = ws.root / "real.md"
    target.write_text("Mine\n", encoding="utf-8")
    link = ws.root / "CLAUDE.md"
    link.symlink_to(target)
    _export(ws, link)
    assert link.is_symlink() and "reverie:begin" in target.read_text(encoding="utf-8")


_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=200
).filter(lambda t: "reverie:" not in t)


@settings(max_examples=200, deadline=None)
@given(before=_text, after=_text, old=_text, new=_text)
def test_splice_touches_only_the_section(before: str, after: str, old: str, new: str) -> None:
    before = before + "\n" if before else ""  # the markers are alone on their lines
    after = "\n" + after if after else ""
    old_section = f"<!-- reverie:begin claude-md -->\n{old}\n{END}"
    new_section = f"<!-- reverie:begin claude-md -->\n{new}\n{END}"
    out, _ = splice(before + old_section + after, new_section)
    assert out == before + new_section + after
    again, action = splice(out, new_section)
    assert again == out and action == "unchanged"
