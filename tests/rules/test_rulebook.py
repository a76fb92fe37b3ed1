"""Rule files: round trip byte for byte, strict validation with readable errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reverie.errors import InputError
from reverie.rulebook.rules import (
    Rule,
    Scope,
    load_rule,
    load_rules,
    next_rule_id,
    render_rule,
    write_rule,
)

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"
AT = datetime(2026, 3, 1, tzinfo=UTC)


def _rule(**over: object) -> Rule:
    data = dict(
        id="R-0007",
        title="Format before committing",
        directive="Run `mix format` before running `git commit`.",
        when="Before running `git commit`.",
        because="Pre-commit rejects unformatted code.",
        scope=Scope(tenant="acme", agents=["claude-code"], tools=["Bash"]),
        confidence=0.7,
        created=AT,
        updated=AT,
    )
    data.update(over)
    return Rule(**data)


def test_round_trip_is_byte_identical(tmp_path: Path) -> None:
    path = write_rule(tmp_path, _rule(notes="Keep this note."))
    text = path.read_text()
    loaded = load_rule(path)
    assert loaded == _rule(notes="Keep this note.")
    assert loaded.notes == "Keep this note."
    assert render_rule(loaded) == text
    mtime = path.stat().st_mtime_ns
    write_rule(tmp_path, loaded)
    assert path.stat().st_mtime_ns == mtime and path.read_text() == text


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    path = write_rule(tmp_path, _rule())
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "fix"),
    [
        ("status: proposed", "status: maybe", "status", "use one of proposed, approved"),
        ("confidence: 0.7", "confidence: 7", "confidence", "from 0 to 1"),
        ("seeded: false", "seeded: false\ncolour: blue", "colour", "remove `colour`"),
        ("title: Format before committing\n", "", "title", "add `title:`"),
        (
            "directive: Run `mix format` before running `git commit`.",
            "directive: The code was unformatted.",
            "directive",
            "imperative",
        ),
        (
            "directive: Run `mix format` before running `git commit`.",
            "directive: Run it. Then commit.",
            "directive",
            "one sentence",
        ),
    ],
)
def test_broken_field_names_file_field_and_fix(
    tmp_path: Path, old: str, new: str, field: str, fix: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(InputError) as info:
        load_rule(path)
    err = info.value
    assert err.file == str(path)
    assert f"`{field}" in err.reason and fix in err.reason and "fix:" in err.reason
    if field != "title":
        line = path.read_text().splitlines()[err.line - 1]
        assert line.startswith(f"{field}:")


def test_bad_yaml_and_missing_front_matter(tmp_path: Path) -> None:
    path = _broken(tmp_path, "status: proposed", "status: [proposed")
    with pytest.raises(InputError, match="not valid YAML") as info:
        load_rule(path)
    assert info.value.line is not None
    path.write_text("# just markdown\n")
    with pytest.raises(InputError, match="no YAML front matter"):
        load_rule(path)


def test_id_must_match_file_name_and_body_must_match(tmp_path: Path) -> None:
    path = write_rule(tmp_path, _rule())
    moved = path.rename(tmp_path / "R-0008.md")
    with pytest.raises(InputError, match="does not match the file name"):
        load_rule(moved)
    moved.rename(path)
    path.write_text(path.read_text().replace("**Directive:** Run", "**Directive:** Skip"))
    with pytest.raises(InputError, match="body does not match the front matter"):
        load_rule(path)


def test_star_tenant_only_for_seeded() -> None:
    with pytest.raises(ValueError, match="only allowed for seeded"):
        _rule(scope=Scope(tenant="*"))
    assert _rule(scope=Scope(tenant="*"), seeded=True).seeded


def test_repository_seeded_rules_are_valid() -> None:
    rules = load_rules(REPO_RULES)
    assert len(rules) >= 3
    assert all(r.seeded and r.status == "approved" and r.scope.tenant == "*" for r in rules)
    assert all(r.history and r.history[0].action == "seed" for r in rules)
    directives = " ".join(r.directive.lower() for r in rules)
    assert "formatter" in directives and "read a file before editing" in directives


def test_load_rules_filters_tenant_and_next_id(tmp_path: Path) -> None:
    write_rule(tmp_path, _rule())
    write_rule(tmp_path, _rule(id="R-0012", scope=Scope(tenant="other")))
    assert [r.id for r in load_rules(tmp_path, "acme")] == ["R-0007"]
    assert [r.id for r in load_rules(tmp_path, "other")] == ["R-0012"]
    assert next_rule_id(tmp_path) == "R-0013"
    assert next_rule_id(tmp_path, taken=["R-0020"]) == "R-0021"
