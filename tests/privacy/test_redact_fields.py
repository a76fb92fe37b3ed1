"""Redaction covers every stored string field, survives any nesting, and keeps ids stable.

- Every field of the ingest models that can hold a string (found by walking
  the pydantic models, so a field added later is covered by this test too)
  loses a planted value; only the ids Reverie computes itself are left alone.
- A tool input nested thousands of levels deep is redacted without a
  ``RecursionError``.
- Through ingest: native id, agent, model, tool name, call id, event key,
  parent ids, attrs, tool-input keys, outcome detail, the source path and the
  reasons of malformed lines hold no planted value in any workspace byte;
  re-ingesting the same file is a no-op with the same ids; links survive.
- ``reverie forget`` still finds sessions by the raw native id, agent and
  path the user knows, and scrubs derived files of the outcome text it erases.
"""

from __future__ import annotations

import json
import types
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from reverie.forget.erase import erased_only_tokens, forget
from reverie.ingest.pipeline import ingest_paths
from reverie.models import Event, Outcome, ParsedSession, Session, SourceRef, Usage
from reverie.redact.redactor import Redactor
from reverie.settings import Settings
from reverie.store import open_store
from reverie.workspace import Workspace

KEY = b"fields-test-key-0123456789abcdef"
# the ids provenance computes (hashes of already redacted values), never content
ASSIGNED = {"id", "session_id", "prev_id", "answers_id", "parent_id", "parent_call_event_id"}


# ---------------------------------------------------------------- every field, found generically


def _admits_str(annotation: Any) -> bool:
    if annotation is str or annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_admits_str(a) for a in typing.get_args(annotation))
    return origin in (dict, list)


def _plant(cls: type[BaseModel], planted: dict[str, str], path: str = "") -> BaseModel:
    """An instance of ``cls`` with a unique e-mail address in every field that takes a string."""
    values: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        where = f"{path}{cls.__name__}.{name}"
        annotation = field.annotation
        nested = [a for a in (annotation, *typing.get_args(annotation)) if _is_model(a)]
        if nested:
            values[name] = _plant(nested[0], planted, f"{where}.")
            continue
        if typing.get_origin(annotation) is typing.Literal:
            values[name] = typing.get_args(annotation)[0]
            continue
        if name in ASSIGNED or not _admits_str(annotation):
            if field.is_required():
                values[name] = 1  # SourceRef.line: the only required number
            continue
        value = planted.setdefault(where, f"{where.replace('.', '-').lower()}@example.org")
        origin = typing.get_origin(annotation)
        if origin is dict:
            key = planted.setdefault(where + "[key]", f"key-{where.lower()}@example.org")
            values[name] = {key: value, "nested": [{"deep": value}]}
        elif origin is list:
            values[name] = [value]
        else:
            values[name] = value
    return cls.model_construct(**values)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def test_every_string_field_of_a_parsed_session_is_redacted() -> None:
    planted: dict[str, str] = {}
    session = _plant(Session, planted)
    events = [_plant(Event, planted, "e0."), _plant(Event, planted, "e1.")]
    outcome = _plant(Outcome, planted)
    ps = ParsedSession.model_construct(session=session, events=events, outcome=outcome)
    # the fields this test plants are every string field, Literal-typed ones aside
    assert {"Session.native_id", "Session.agent", "Session.source_file", "Session.model",
            "Session.parent_native_id", "Session.parent_call_id", "e0.Event.key",
            "e0.Event.tool", "e0.Event.call_id", "e0.Event.model", "e0.Event.flags",
            "e0.Event.tool_input", "e0.Event.attrs", "e0.Event.source.SourceRef.file",
            "Outcome.detail", "Outcome.source.SourceRef.file"} <= set(planted)  # fmt: skip

    Redactor(key=KEY).redact_session(ps)
    dumped = json.dumps(ps.model_dump(mode="json"))
    for where, value in planted.items():
        assert value not in dumped, where
    assert "<EMAIL:" in ps.session.native_id and "<EMAIL:" in ps.events[0].source.file


def test_ids_reverie_computes_are_not_touched() -> None:
    hashed = "s:4111111111111111"  # a Luhn-valid run of digits inside an id: not a card
    ev = Event(kind="message", trust="user", source=SourceRef(file="f", line=1), key="k",
               id=hashed, session_id=hashed, prev_id=hashed, answers_id=hashed)  # fmt: skip
    s = Session(native_id="n", agent="a", format="x", source_file="f", id=hashed,
                parent_id=hashed, parent_call_event_id=hashed)  # fmt: skip
    Redactor(key=KEY).redact_session(ParsedSession(session=s, events=[ev]))
    assert {ev.id, ev.session_id, ev.prev_id, ev.answers_id} == {hashed}
    assert {s.id, s.parent_id, s.parent_call_event_id} == {hashed}


def test_the_same_value_in_two_identity_fields_gets_the_same_placeholder() -> None:
    """A call and its result share a call id; redacted alike, the ANSWERS link still forms."""
    r = Redactor(key=KEY)
    src = SourceRef(file="t.jsonl", line=1)
    call_id = "call-for-+14155552671"
    ps = ParsedSession(
        session=Session(native_id="n", agent="a", format="x", source_file="t.jsonl",
                        parent_call_id=call_id),
        events=[
            Event(kind="tool_call", trust="agent", source=src, key=call_id, tool="t",
                  call_id=call_id, usage=Usage(input_tokens=3)),
            Event(kind="tool_result", trust="tool", source=src, key="r", call_id=call_id),
        ],
    )  # fmt: skip
    r.redact_session(ps)
    ids = {ps.events[0].call_id, ps.events[1].call_id, ps.events[0].key}
    assert ids == {ps.session.parent_call_id} and "+14155552671" not in ids.pop()
    assert ps.events[0].usage == Usage(input_tokens=3)


# ---------------------------------------------------------------- nesting


def _nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for i in range(depth):
        value = {"k": value, "i": i} if i % 2 else [value, "x"]
    return value


@pytest.mark.parametrize("depth", [300, 5000])
def test_deeply_nested_values_redact_without_recursion_error(depth: int) -> None:
    r = Redactor(key=KEY)
    secret = "ghp_" + "a1B2c3D4e5" * 4
    value = _nested(depth, {"password": "hunter2-deep", "note": f"token {secret}"})
    node = _bottom(r.redact_value(value), depth)
    assert node["password"].startswith("<ENV_SECRET:")
    assert secret not in node["note"] and "<GITHUB_TOKEN:" in node["note"]
    clean = _nested(depth, "nothing here")
    assert r.redact_value(clean) is clean  # unchanged: the very same object

    ps = ParsedSession(
        session=Session(native_id="n", agent="a", format="x", source_file="f"),
        events=[Event(kind="tool_call", trust="agent", source=SourceRef(file="f", line=1),
                      key="k", tool="t", tool_input=value, attrs={"deep": value})],
    )  # fmt: skip
    r.redact_session(ps)
    for stored in (ps.events[0].tool_input, ps.events[0].attrs["deep"]):
        assert _bottom(stored, depth)["password"].startswith("<ENV_SECRET:")


def _bottom(value: Any, depth: int) -> Any:
    """The innermost value of :func:`_nested`, reached without recursion."""
    for _ in range(depth):
        value = value["k"] if isinstance(value, dict) else value[0]
    return value


_TEXT = st.text(alphabet="ab@.:=+-_ 0123456789AKIZghp", max_size=30)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            _TEXT | st.sampled_from(["password", "api_key", "note"]), inner, max_size=4
        )
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_redact_value_is_idempotent_on_any_json(value: Any) -> None:
    r = Redactor(key=KEY)
    once = r.redact_value(value)
    assert r.redact_value(once) == once
    if once == value:  # nothing to redact: the very same object comes back
        assert r.redact_value(value) is value


# ---------------------------------------------------------------- through ingest

EMAIL_DIR = "ada.lovelace@example.org"
NATIVE = "run-for-+14155552671"
CHILD = "child-of-+14155552671"
AGENT = "bot-of-grace.hopper@example.org"
MODEL = "proxy/sk-proj-Zq8rT2vX9kLmNp4sW7yB1cD3"
TOOL = "crm-lookup-415.555.2671"
CALL = "call-ghp_UKF0HR7QGrhNfPeOOeIJwRLB0UPUyxeHzr9L"
EVENT_KEY = "msg-for-linus@example.org"
INPUT_KEY = "margaret@example.org"
ATTR = "GB82 WEST 1234 5698 7654 32"
DETAIL = "reward paid to DE89370400440532013000"
PLANTED = [EMAIL_DIR, "+14155552671", "grace.hopper@example.org", "Zq8rT2vX9kLmNp4sW7yB1cD3",
           "415.555.2671", "UKF0HR7QGrhNfPeOOeIJwRLB0UPUyxeHzr9L", "linus@example.org",
           INPUT_KEY, ATTR, "DE89370400440532013000"]  # fmt: skip


def _native_file(folder: Path) -> Path:
    folder.mkdir(parents=True)
    path = folder / "runs.jsonl"
    rows = [
        {"session": NATIVE, "kind": "session", "agent": AGENT, "model": MODEL,
         "attrs": {"account": ATTR}, "task": "look up a customer"},
        {"session": NATIVE, "kind": "message", "role": "user", "id": EVENT_KEY, "text": "hi"},
        {"session": NATIVE, "kind": "tool_call", "tool": TOOL, "call_id": CALL,
         "input": {INPUT_KEY: "find", "q": [1, 2]}, "model": MODEL},
        {"session": NATIVE, "kind": "tool_result", "call_id": CALL, "text": "1 row"},
        {"session": CHILD, "kind": "session", "agent": AGENT, "parent_session": NATIVE,
         "parent_call_id": CALL},
        {"session": CHILD, "kind": "message", "role": "assistant", "text": "done"},
        {"session": NATIVE, "kind": "outcome", "success": True, "detail": DETAIL},
        {"session": NATIVE, "kind": "message", "role": "user", "text": "late"},  # malformed
    ]  # fmt: skip
    path.write_text("".join(json.dumps({"reverie": 1, **r}) + "\n" for r in rows))
    return path


def _stored(workspace: Settings) -> dict[str, Any]:
    store = open_store(workspace)
    try:
        sessions = {s.parent_id is None: s for s in store.sessions(workspace.tenant)}
        events = list(store.events(workspace.tenant))
        return {"sessions": sessions, "events": events}
    finally:
        store.close()


def test_ingest_stores_no_planted_value_in_any_field_and_reingest_is_a_noop(
    tmp_path: Path, workspace: Settings
) -> None:
    path = _native_file(tmp_path / EMAIL_DIR)
    store = open_store(workspace)
    try:
        ws = Workspace(workspace, store=store)
        first = ingest_paths(ws, ws.tenant, [path])
        again = ingest_paths(ws, ws.tenant, [path], force=True)
        unchanged = ingest_paths(ws, ws.tenant, [path])
    finally:
        store.close()
    assert not first.errors and first.sessions == 2 and first.new_events == 4
    assert again.new_events == 0 and again.sessions == 2  # same ids: a no-op
    assert unchanged.unchanged_files == 1
    (bad,) = first.malformed
    printed = first.model_dump_json()
    for value in PLANTED:  # summary printed by `reverie ingest --json`
        assert value not in printed, value
    assert "already closed" in bad.reason

    for file in (p for p in workspace.root.rglob("*") if p.is_file()):
        raw = file.read_bytes()
        for value in PLANTED:
            assert value.encode() not in raw, (file.name, value)

    stored = _stored(workspace)
    parent, child = stored["sessions"][True], stored["sessions"][False]
    assert child.parent_id == parent.id and child.parent_call_event_id is not None
    result = next(e for e in stored["events"] if e.kind == "tool_result")
    call = next(e for e in stored["events"] if e.kind == "tool_call")
    assert result.answers_id == call.id and call.tool == result.tool != TOOL
    assert "<PHONE:" in parent.native_id and "EMAIL:" in parent.agent  # an agent name, rewritten


def test_forget_finds_sessions_by_the_raw_values_the_user_knows(
    tmp_path: Path, workspace: Settings
) -> None:
    path = _native_file(tmp_path / EMAIL_DIR)
    store = open_store(workspace)
    try:
        ws = Workspace(workspace, store=store)
        ingest_paths(ws, ws.tenant, [path])
        now = datetime(2026, 5, 14, tzinfo=UTC)
        by_agent = forget(ws, ws.tenant, agent=AGENT, now=now, dry_run=True)
        by_id = forget(ws, ws.tenant, sessions=[NATIVE], now=now, dry_run=True)
        by_path = forget(ws, ws.tenant, source=str(path), now=now, dry_run=True)
    finally:
        store.close()
    assert len(by_agent.sessions) == 2 and len(by_path.sessions) == 2
    assert len(by_id.sessions) == 2  # the run and its subagent session
    assert AGENT not in by_agent.model_dump_json()  # the report shows stored names only


def test_forget_scrubs_derived_files_of_the_outcome_text_it_erases(
    tmp_path: Path, workspace: Settings
) -> None:
    marker = "OUTCOME-MARKER-7f3a9c1e"
    folder = tmp_path / "runs"
    folder.mkdir()
    path = folder / "o.jsonl"
    rows = [
        {"session": "s1", "kind": "message", "role": "user", "text": "hi"},
        {"session": "s1", "kind": "outcome", "success": False, "detail": f"failed {marker}"},
    ]
    path.write_text("".join(json.dumps({"reverie": 1, **r}) + "\n" for r in rows))
    store = open_store(workspace)
    try:
        ingest_paths(Workspace(workspace, store=store), workspace.tenant, [path])
        sessions = store.sessions(workspace.tenant)
        tokens = erased_only_tokens(store, workspace.tenant, sessions, workspace)
    finally:
        store.close()
    assert marker in tokens
