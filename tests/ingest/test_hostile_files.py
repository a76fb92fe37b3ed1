"""Hostile files cost one per-file error or one set-aside line: never a crash, hang or spike.

Issue #14, finding 5. Each attack is built for real on disk: a FIFO, a
symlink loop, a dangling symlink, an unreadable file, a value nested 300
deep, a 50 MB line, a 3 MB string, a byte-order mark.

The unreadable file: as a normal user a ``chmod 000`` file; as root (whom
permissions do not stop) a symlink to a kernel file that even root may not
read: ``/proc/sys/vm/drop_caches`` is write-only (mode 0200) and the kernel
enforces that for root too, so ``open`` really fails with EACCES.
"""

from __future__ import annotations

import json
import os
import threading
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reverie.cli import app
from reverie.ingest.pipeline import ingest_paths
from reverie.settings import Settings
from reverie.store import GraphStore
from reverie.workspace import Workspace

WRITE_ONLY_PROC_FILE = Path("/proc/sys/vm/drop_caches")


def native(session: str, text: str = "fix the test", **extra: object) -> str:
    record = {"reverie": 1, "session": session, "kind": "message", "role": "user", "text": text}
    return json.dumps({**record, **extra}) + "\n"


def deep_call(session: str, depth: int) -> str:
    """A native tool call whose input is nested ``depth`` arrays deep (the line one more)."""
    nested = "[" * depth + "]" * depth
    record = {"reverie": 1, "session": session, "kind": "tool_call", "tool": "bash", "input": 0}
    return json.dumps(record).replace('"input": 0', f'"input": {nested}') + "\n"


def make_unreadable(path: Path) -> str:
    """A file whose ``open`` fails with EACCES for this user; returns the mechanism used."""
    if os.geteuid() != 0:
        path.write_text(native("never-read"))
        path.chmod(0)
        return "chmod 000"
    assert WRITE_ONLY_PROC_FILE.exists(), "needs Linux /proc to make a file root cannot read"
    path.symlink_to(WRITE_ONLY_PROC_FILE)
    with pytest.raises(PermissionError):
        path.open("rb")
    return f"symlink to {WRITE_ONLY_PROC_FILE}"


@contextmanager
def fifo_watch(fifo: Path) -> Iterator[list[str]]:
    """Notes "opened" if anything opens ``fifo`` for reading while the block runs.

    A reader blocked in ``open`` is released at once (a writer opens and
    closes the FIFO, which reads as an empty file), so code that opens
    FIFOs fails this check instead of hanging the test run.
    """
    os.mkfifo(fifo)
    seen: list[str] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody has it open for reading
                continue
            seen.append("opened")
            os.close(fd)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()


def test_a_folder_of_hostile_files_is_ingested_around_them(
    workspace: Settings, tmp_path: Path, cli: CliRunner
) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "a-good.jsonl").write_text(native("good"))
    (runs / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + native("bom").encode())
    (runs / "deep.jsonl").write_text(native("deep") + deep_call("deep", 300) + native("deep"))
    (runs / "loop-a.jsonl").symlink_to("loop-b.jsonl")
    (runs / "loop-b.jsonl").symlink_to("loop-a.jsonl")
    (runs / "dangling.jsonl").symlink_to("gone.jsonl")
    make_unreadable(runs / "locked.jsonl")
    with fifo_watch(runs / "pipe.jsonl") as fifo_opened:
        result = cli.invoke(app, ["ingest", str(runs), "-w", str(workspace.root), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert fifo_opened == []
    assert result.exit_code == 1, result.output  # documented: some lines or files set aside
    summary = json.loads(result.output)
    errors = {Path(e["file"]).name: e["reason"] for e in summary["errors"]}
    assert errors == {
        "dangling.jsonl": "cannot read file: a symbolic link to a missing file (gone.jsonl)",
        "locked.jsonl": "cannot read file: Permission denied",
        "loop-a.jsonl": "cannot read file: Too many levels of symbolic links",
        "loop-b.jsonl": "cannot read file: Too many levels of symbolic links",
    }
    skipped = {Path(s["file"]).name: s["reason"] for s in summary["skipped"]}
    assert skipped == {
        "pipe.jsonl": "not a regular file but a FIFO (named pipe); only regular files are read"
    }
    assert [(Path(m["file"]).name, m["line"]) for m in summary["malformed"]] == [("deep.jsonl", 2)]
    assert "nested deeper than 100 levels" in summary["malformed"][0]["reason"]
    assert summary["files"] == 3 and summary["sessions"] == 3 and summary["events"] == 4


def test_named_hostile_files_are_errors_and_the_rest_is_ingested(
    workspace: Settings, tmp_path: Path, cli: CliRunner
) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(native("good"))
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop.name)
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to("nowhere.jsonl")
    locked = tmp_path / "locked.jsonl"
    make_unreadable(locked)
    names = [str(p) for p in (loop, dangling, locked, good)]
    with fifo_watch(tmp_path / "pipe.jsonl") as fifo_opened:
        result = cli.invoke(
            app,
            ["ingest", *names, str(tmp_path / "pipe.jsonl"), "-w", str(workspace.root), "--json"],
        )
    assert fifo_opened == []
    assert result.exit_code == 1, result.output
    summary = json.loads(result.output)
    assert sorted(Path(e["file"]).name for e in summary["errors"]) == [
        "dangling.jsonl",
        "locked.jsonl",
        "loop.jsonl",
        "pipe.jsonl",
    ]
    assert summary["sessions"] == 1 and summary["events"] == 1


def test_a_fifo_is_never_opened(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    """Opening a FIFO for reading blocks until a writer comes: the ingest hung forever."""
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "good.jsonl").write_text(native("good"))
    with fifo_watch(runs / "pipe.jsonl") as fifo_opened:
        summary = ingest_paths(space, space.tenant, [runs])
    assert fifo_opened == []
    assert [s["reason"] for s in summary.skipped] == [
        "not a regular file but a FIFO (named pipe); only regular files are read"
    ]
    assert summary.events == 1


def test_nesting_300_deep_is_set_aside_before_redaction_and_the_store(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    """At 300 levels orjson still parses; the id hash and the store used to raise."""
    lines = tmp_path / "lines.jsonl"
    lines.write_text(deep_call("s", 99) + deep_call("s", 300) + native("s"))
    summary = ingest_paths(space, space.tenant, [lines])
    assert [(m.line, m.reason.split(" (")[0]) for m in summary.malformed] == [
        (2, "nested deeper than 100 levels")
    ]
    assert summary.events == 2  # the 100-deep line (its input 99 deep) is within the limit
    deep = json.loads("[" * 300 + "]" * 300)
    call = {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": deep}}
    document = tmp_path / "chat.json"
    document.write_text(json.dumps([{"role": "assistant", "tool_calls": [call]}]))
    summary = ingest_paths(space, space.tenant, [document], fmt="openai-chat")
    (error,) = summary.errors
    assert Path(error["file"]).name == "chat.json" and "nested deeper than 100" in error["reason"]


def test_a_deep_tool_argument_string_stays_text(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    """OpenAI tool arguments are a JSON string; decoded at 300 deep they crashed the store."""
    deep = "[" * 300 + "]" * 300
    call = {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": deep}}
    messages = [
        {"role": "user", "content": "list files"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(messages))
    summary = ingest_paths(space, space.tenant, [path], fmt="openai-chat")
    assert summary.errors == [] and summary.events == 3
    (tool_call,) = store.events(workspace.tenant, kind="tool_call")
    assert tool_call.tool_input == deep


def test_a_50mb_line_is_set_aside_and_memory_stays_flat(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    size = 50 * 2**20
    path = tmp_path / "huge.jsonl"
    with path.open("w") as fh:
        fh.write(native("s", "before"))
        fh.write(native("s", "x" * size))
        fh.write(native("s", "after"))
    tracemalloc.start()
    try:
        summary = ingest_paths(space, space.tenant, [path])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < size / 5, f"peak {peak / 2**20:.1f} MB while reading a 50 MB line"
    (bad,) = summary.malformed
    assert (Path(bad.file).name, bad.line) == ("huge.jsonl", 2)
    assert bad.reason == "line is 50.0 MB, over the 16 MB line limit; set aside unread"
    assert summary.events == 2 and summary.errors == []


def test_a_string_over_the_field_limit_is_cut_with_a_marker(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text(native("s", "y" * 3_000_000) + native("s", "short"))
    summary = ingest_paths(space, space.tenant, [path])
    assert summary.events == 2 and summary.malformed == []
    texts = [e.text or "" for e in store.events(workspace.tenant)]
    assert texts[1] == "short"
    assert texts[0].startswith("y" * 999_000) and len(texts[0]) == 1_000_000
    marker = "[... cut by reverie: 3,000,000 characters, over the 1,000,000-character field limit]"
    assert texts[0].endswith(marker)


def test_an_unexpected_exception_fails_that_file_only(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last line of defence: whatever a file provokes is its own error, rolled back."""
    import reverie.ingest.pipeline as ingest

    bad, good = tmp_path / "bad.jsonl", tmp_path / "good.jsonl"
    bad.write_text(native("bad"))
    good.write_text(native("good"))
    real_link = ingest.link_session

    def link(tenant: str, parsed):  # type: ignore[no-untyped-def]
        if parsed.session.native_id == "bad":
            raise RecursionError("maximum recursion depth exceeded")
        return real_link(tenant, parsed)

    monkeypatch.setattr(ingest, "link_session", link)
    summary = ingest_paths(space, space.tenant, [bad, good])
    (error,) = summary.errors
    assert Path(error["file"]).name == "bad.jsonl"
    assert "RecursionError" in error["reason"] and "nothing of it was written" in error["reason"]
    assert [s.native_id for s in store.sessions(workspace.tenant)] == ["good"]


REAL_ONE_PER_FORMAT = [
    "claude_code/short.jsonl",
    "swe_agent_multimodel/20240825_SWE-agent_gpt-4o-2024-05-13/trajs/google__gson-1555.traj",
    "otel_genai/OPENAI_trace.json",
    "tau_bench/gpt-4o-airline.tasks0-14.json",
]


@pytest.mark.parametrize("name", REAL_ONE_PER_FORMAT)
def test_a_byte_order_mark_is_accepted(
    name: str, real_data: Path, workspace: Settings, store: GraphStore, space: Workspace,
    tmp_path: Path,
) -> None:
    source = real_data / name
    plain, marked = tmp_path / "plain" / source.name, tmp_path / "bom" / source.name
    plain.parent.mkdir()
    marked.parent.mkdir()
    plain.write_bytes(source.read_bytes())
    marked.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    with_bom = ingest_paths(space, "bom", [marked])
    without = ingest_paths(space, "plain", [plain])
    assert with_bom.errors == [] and with_bom.malformed == without.malformed == []
    assert with_bom.formats == without.formats
    assert (with_bom.sessions, with_bom.events) == (without.sessions, without.events) != (0, 0)


def test_a_byte_order_mark_is_accepted_by_mapping_and_neighbour_files(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    bom = b"\xef\xbb\xbf"
    mapping = tmp_path / "map.yaml"
    mapping.write_bytes(bom + b"format: json\nrecords: items\nsession_id: c\nrole: r\ncontent: t\n")
    log = tmp_path / "log.json"
    log.write_bytes(bom + json.dumps({"items": [{"c": 1, "r": "user", "t": "hello"}]}).encode())
    summary = ingest_paths(space, space.tenant, [log], fmt="mapping", mapping=mapping)
    assert summary.errors == [] and summary.events == 1
    runs = tmp_path / "openhands"
    runs.mkdir()
    (runs / "metadata.json").write_bytes(
        bom + json.dumps({"agent_class": "CodeActAgent", "model_name": "gpt-4o"}).encode()
    )
    from reverie.adapters.openhands import _folder_metadata

    assert _folder_metadata(str(runs / "output.jsonl")) == {
        "agent_class": "CodeActAgent",
        "model_name": "gpt-4o",
    }


def test_the_store_refuses_an_unencodable_payload_as_input(
    workspace: Settings, store: GraphStore, tmp_path: Path
) -> None:
    """Past the reader (an API caller, a third-party adapter): the file fails, no TypeError."""
    from reverie.errors import InputError
    from reverie.ingest.provenance import link_session, source_id
    from reverie.models import Event, ParsedSession, Session, SourceRef
    from reverie.store.base import SourceState

    deep = json.loads("[" * 300 + "]" * 300)
    src = SourceRef(file="api.jsonl", line=1)
    parsed = ParsedSession(
        session=Session(native_id="u1", agent="bot", format="reverie", source_file="api.jsonl"),
        events=[Event(kind="tool_call", trust="agent", source=src, key="c1", tool_input=deep)],
        native_id_unique=True,
    )
    state = SourceState(
        id=source_id("t", "api.jsonl"), path="api.jsonl", size=1, mtime_ns=1, format="reverie"
    )
    with pytest.raises(InputError, match="cannot be stored as JSON"):
        store.write_file("t", state, [link_session("t", parsed)])
    assert store.sessions("t") == []


def test_long_lines_are_measured_then_read_or_set_aside(tmp_path: Path) -> None:
    from reverie.adapters._reading import MB, iter_lines, open_regular

    lines = [b"a\n", b"b" * (2 * MB + 5) + b"\n", b"c" * (4 * MB) + b"\n", b"d" * MB, b""]
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"".join(lines))
    with open_regular(path) as fh:
        got = [(n, raw, size) for n, raw, size in iter_lines(fh, limit=3 * MB)]
    assert got == [
        (1, lines[0], 2),
        (2, lines[1], 2 * MB + 6),
        (3, None, 4 * MB + 1),
        (4, lines[3], MB),  # the last line, with no newline, exactly one chunk long
    ]
