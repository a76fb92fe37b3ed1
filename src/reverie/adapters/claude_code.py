"""Claude Code session transcripts (``~/.claude/projects/<project>/<session>.jsonl``).

One JSON object per line, dispatched on ``type``. The conversation is a DAG
through ``uuid``/``parentUuid`` (followed here, not line order); one API
response is streamed as several ``assistant`` lines sharing ``message.id``
(merged here); tool results arrive in ``user`` lines as ``tool_result``
blocks. Subagent transcripts live in ``<session>/subagents/agent-<id>.jsonl``
and are linked to the parent session and the parent's ``Task`` call through
the parent's ``agent_progress`` lines.

Agent identity: ``--agent`` if given; else the subagent type for subagents;
else the project folder (the last part of ``cwd``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from pydantic import ValidationError

from reverie.adapters._common import iter_json_lines, json_type
from reverie.adapters._reading import (
    LINE_LIMIT,
    MB,
    decode,
    iter_lines,
    open_regular,
)
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.errors import InputError
from reverie.models import Event, Malformed, ParsedSession, Session, SourceRef, Usage

__all__ = ["ADAPTER", "ClaudeCodeAdapter"]

_MESSAGE_TYPES = {"user", "assistant", "system"}
_OTHER_TYPES = {"progress", "file-history-snapshot", "queue-operation", "summary"}
_EXTERNAL_TOOLS = {"WebFetch", "WebSearch"}
_EXIT_CODE = re.compile(r"^Exit code (-?\d+)")
_META_PREFIXES = ("<command-", "<local-command-", "Caveat: ", "<system-reminder>")


def _ts(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _block_text(content: Any) -> str:
    """Text of a tool_result's content: a string, or a list of text/image blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for item in content:
            if isinstance(item, dict):
                if item.get("type") == "text":
                    parts.append(str(item.get("text", "")))
                elif item.get("type") == "image":
                    parts.append("[image]")
        return "\n".join(parts)
    return "" if content is None else str(content)


class ClaudeCodeAdapter:
    name = "claude-code"
    description = "Claude Code JSONL sessions (~/.claude/projects), with subagent files"

    def sniff(self, path: Path, head: bytes) -> float:
        lines = head.split(b"\n")
        complete = lines[:-1] if len(lines) > 1 else lines
        for raw in complete[:20]:
            raw = raw.strip()
            if not raw:
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(obj, dict):
                return 0.0
            kind = obj.get("type")
            if not isinstance(kind, str):
                return 0.0
            if kind == "file-history-snapshot" and "snapshot" in obj:
                return 0.95
            if kind in _MESSAGE_TYPES | _OTHER_TYPES and "sessionId" in obj and "uuid" in obj:
                return 0.95
            if kind == "summary" and "leafUuid" in obj:
                return 0.9
            return 0.0
        if b'"parentUuid"' in head and b'"sessionId"' in head:
            return 0.7
        return 0.0

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        file = str(path)
        records: dict[str, tuple[int, dict[str, Any]]] = {}
        parents: dict[str, str | None] = {}
        progress: dict[str, str] = {}
        recognised = 0
        for lineno, obj, error in iter_json_lines(path, invalid="invalid JSON"):
            if error is not None:
                yield Malformed(file=file, line=lineno, reason=error)
                continue
            problem = _shape_problem(obj)
            if problem:
                yield Malformed(file=file, line=lineno, reason=problem)
                continue
            recognised += 1
            uuid = obj.get("uuid")
            if isinstance(uuid, str):
                parents.setdefault(uuid, obj.get("parentUuid"))
                if obj["type"] in _MESSAGE_TYPES:
                    records.setdefault(uuid, (lineno, obj))
            data = obj.get("data")
            if isinstance(data, dict) and data.get("type") == "agent_progress":
                agent_id, call = data.get("agentId"), obj.get("parentToolUseID")
                if isinstance(agent_id, str) and isinstance(call, str):
                    progress.setdefault(agent_id, call)
        if recognised == 0:
            raise InputError("not a Claude Code transcript (no line has a known `type`)", file)
        if not records:
            return
        ordered = [records[u] for u in _dag_order(parents, records)]
        malformed: list[Malformed] = []
        parsed = _build_session(path, ordered, progress, options, malformed)
        yield from malformed
        yield parsed


def _shape_problem(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__.replace('list', 'an array')}"
    kind = obj.get("type")
    if kind is None:
        return "missing `type`"
    if not isinstance(kind, str):
        return f"`type` is {json_type(kind)}, not a string"
    parent = obj.get("parentUuid")
    if parent is not None and not isinstance(parent, str):
        return f"`parentUuid` is {json_type(parent)}, not a string or null"
    if kind not in _MESSAGE_TYPES and kind not in _OTHER_TYPES:
        return f"unknown type {kind!r}"
    if kind in ("user", "assistant"):
        msg = obj.get("message")
        if not isinstance(msg, dict) or "content" not in msg:
            return f"`{kind}` line without a `message` object holding `content`"
        if not isinstance(obj.get("uuid"), str):
            return f"`{kind}` line without a `uuid`"
    return None


def _dag_order(parents: dict[str, str | None], records: dict[str, Any]) -> list[str]:
    """Message uuids in conversation order: parents before children, ties by line."""
    if _is_chain(parents):
        return [u for u in parents if u in records]
    children: dict[str | None, list[str]] = {}
    line_of = {u: records[u][0] if u in records else 0 for u in parents}
    for uuid, parent in parents.items():
        key = parent if parent in parents else None
        children.setdefault(key, []).append(uuid)
    by_line = line_of.__getitem__
    for kids in children.values():
        if len(kids) > 1:
            kids.sort(key=by_line)
    order: list[str] = []
    stack = list(reversed(children.get(None, [])))
    seen: set[str] = set()
    while stack:
        uuid = stack.pop()
        if uuid in seen:
            continue
        seen.add(uuid)
        if uuid in records:
            order.append(uuid)
        stack.extend(reversed(children.get(uuid, [])))
    # anything unreachable (a cycle) keeps its line order at the end
    rest = sorted((u for u in records if u not in seen), key=lambda u: records[u][0])
    return order + rest


def _is_chain(parents: dict[str, str | None]) -> bool:
    """True when line order is already the DAG order: no branches, parents come first."""
    seen: set[str] = set()
    has_child: set[str] = set()
    for uuid, parent in parents.items():
        if parent is not None and parent in parents:
            if parent not in seen or parent in has_child:
                return False
            has_child.add(parent)
        seen.add(uuid)
    return True


class _Builder:
    """Turns ordered records into events, merging streamed assistant lines."""

    def __init__(self, file: str):
        self.file = file
        self.events: list[Event] = []
        self.tool_names: dict[str, str] = {}
        self.models: Counter[str] = Counter()
        self.task: str | None = None
        self._group: str | None = None
        self._text_event: Event | None = None
        self._first: Event | None = None
        self._usage: Usage | None = None

    def add(self, line: int, obj: dict[str, Any]) -> None:
        kind = obj["type"]
        if kind == "assistant":
            self._assistant(line, obj)
            return
        self._group = None
        if kind == "user":
            self._user(line, obj)
        else:
            text = obj.get("content")
            if isinstance(text, str) and text:
                self._emit(
                    line,
                    obj,
                    key=obj["uuid"],
                    kind="message",
                    role="system",
                    trust="operator",
                    text=text,
                    attrs={"subtype": obj.get("subtype")},
                )

    def _emit(self, line: int, obj: dict[str, Any], **fields: Any) -> Event:
        ev = Event(
            source=SourceRef(file=self.file, line=line),
            timestamp=_ts(obj.get("timestamp")),
            **fields,
        )
        self.events.append(ev)
        if self._group is not None and self._first is None:
            self._first = ev
            ev.usage = self._usage
        return ev

    def _assistant(self, line: int, obj: dict[str, Any]) -> None:
        msg = obj["message"]
        msg_id = msg.get("id") or obj["uuid"]
        model = msg.get("model")
        if isinstance(model, str) and not model.startswith("<"):
            self.models[model] += 1
        usage = _usage(msg.get("usage"))
        new_group = msg_id != self._group
        if new_group:
            self._group, self._text_event, self._first, self._usage = msg_id, None, None, None
        content = msg["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, dict):
                continue
            btype = block.get("type")
            if btype == "text" and str(block.get("text", "")).strip():
                if self._text_event is None:
                    self._text_event = self._emit(
                        line,
                        obj,
                        key=f"{msg_id}:text",
                        kind="message",
                        role="assistant",
                        trust="agent",
                        text=str(block["text"]),
                        model=model,
                    )
                else:
                    self._text_event.text = f"{self._text_event.text}\n{block['text']}"
            elif btype == "tool_use" and isinstance(block.get("id"), str):
                name = str(block.get("name", ""))
                self.tool_names[block["id"]] = name
                self._emit(
                    line,
                    obj,
                    key=block["id"],
                    kind="tool_call",
                    trust="agent",
                    tool=name,
                    tool_input=block.get("input"),
                    call_id=block["id"],
                    model=model,
                )
        if usage is not None:
            self._attach_usage(usage)

    def _attach_usage(self, usage: Usage) -> None:
        """One response's usage goes on its first event; later streamed lines update it."""
        self._usage = usage
        if self._first is not None:
            self._first.usage = usage

    def _user(self, line: int, obj: dict[str, Any]) -> None:
        content = obj["message"]["content"]
        meta = bool(obj.get("isMeta")) or bool(obj.get("isCompactSummary"))
        if isinstance(content, str):
            self._user_text(line, obj, obj["uuid"], content, meta)
            return
        if not isinstance(content, list):
            return
        texts = []
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                texts.append(str(block.get("text", "")))
            elif block.get("type") == "tool_result" and isinstance(block.get("tool_use_id"), str):
                self._tool_result(line, obj, block)
        if texts:
            self._user_text(line, obj, f"{obj['uuid']}:text", "\n".join(texts), meta)

    def _user_text(self, line: int, obj: dict[str, Any], key: str, text: str, meta: bool) -> None:
        if not text.strip():
            return
        meta = meta or text.lstrip().startswith(_META_PREFIXES)
        self._emit(
            line,
            obj,
            key=key,
            kind="message",
            role="user",
            trust="operator" if meta else "user",
            text=text,
            attrs={"meta": True} if meta else {},
        )
        if not meta and self.task is None:
            self.task = text[:500]

    def _tool_result(self, line: int, obj: dict[str, Any], block: dict[str, Any]) -> None:
        call = block["tool_use_id"]
        text = _block_text(block.get("content"))
        is_error = bool(block.get("is_error"))
        match = _EXIT_CODE.match(text)
        exit_code = int(match.group(1)) if match else None
        tool = self.tool_names.get(call)
        self._emit(
            line,
            obj,
            key=f"{call}:result",
            kind="tool_result",
            trust="external" if tool in _EXTERNAL_TOOLS else "tool",
            text=text,
            tool=tool,
            call_id=call,
            is_error=is_error,
            exit_code=exit_code,
        )


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None

    def num(key: str) -> int:
        value = raw.get(key)
        return value if isinstance(value, int) else 0

    return Usage(
        input_tokens=num("input_tokens"),
        output_tokens=num("output_tokens"),
        cache_read_tokens=num("cache_read_input_tokens"),
        cache_write_tokens=num("cache_creation_input_tokens"),
    )


def _build_session(
    path: Path,
    ordered: list[tuple[int, dict[str, Any]]],
    progress: dict[str, str],
    options: AdapterOptions,
    malformed: list[Malformed],
) -> ParsedSession:
    builder = _Builder(str(path))
    for line, obj in ordered:
        try:
            builder.add(line, obj)
        except ValidationError as exc:
            reason = f"wrong shape: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
            malformed.append(Malformed(file=str(path), line=line, reason=reason))
    first = ordered[0][1]
    session_native = str(first.get("sessionId") or path.stem)
    agent_id = first.get("agentId") if first.get("isSidechain") else None
    cwd = next((o.get("cwd") for _, o in ordered if isinstance(o.get("cwd"), str)), None)
    branch = next((o.get("gitBranch") for _, o in ordered if o.get("gitBranch")), None)
    version = next((o.get("version") for _, o in ordered if o.get("version")), None)
    attrs: dict[str, Any] = {"cwd": cwd, "git_branch": branch, "version": version}
    if progress:
        attrs["subagents"] = progress
    parent_native = parent_call = None
    agent = options.agent
    native_id = session_native
    if isinstance(agent_id, str):
        native_id = f"{session_native}/agent-{agent_id}"
        parent_native = session_native
        parent_call, subagent_type = _find_parent_call(path, session_native, agent_id)
        attrs["agent_id"] = agent_id
        if agent is None:
            agent = subagent_type or ("compact" if agent_id.startswith("acompact") else "subagent")
    if agent is None:
        agent = Path(cwd).name if cwd else path.parent.name
    session = Session(
        native_id=native_id,
        agent=agent,
        format="claude-code",
        source_file=str(path),
        task=builder.task,
        model=builder.models.most_common(1)[0][0] if builder.models else None,
        parent_native_id=parent_native,
        parent_call_id=parent_call,
        attrs={k: v for k, v in attrs.items() if v is not None},
    )
    return ParsedSession(session=session, events=builder.events, native_id_unique=True)


def _find_parent_call(path: Path, session: str, agent_id: str) -> tuple[str | None, str | None]:
    """The parent's Task call that started subagent ``agent_id``, and its subagent type."""
    parent_file = path.parent.parent.parent / f"{session}.jsonl"
    if path.parent.name != "subagents" or not parent_file.is_file():
        return None, None
    lines = _parent_lines(parent_file)
    if lines is None:  # the parent only adds detail; it is ingested on its own
        return None, None
    progress, typed = lines
    needle = agent_id.encode()
    call: str | None = None
    for raw in progress:
        if needle in raw:
            found = _loads_object(raw).get("parentToolUseID")
            if isinstance(found, str) and found:
                call = found
                break
    if not call:
        return None, None
    for raw in typed:
        if call.encode() not in raw:
            continue
        message = _loads_object(raw).get("message")
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict) and block.get("id") == call:
                tool_input = block.get("input")
                kind = tool_input.get("subagent_type") if isinstance(tool_input, dict) else None
                return call, kind if isinstance(kind, str) else None
    return call, None


_ParentLines = tuple[list[bytes], list[bytes]]
_PARENTS: dict[tuple[str, int, int], _ParentLines | None] = {}
_WHOLE_PARENT = 64 * MB  # a parent file up to this size is read whole and searched


def _parent_lines(parent_file: Path) -> _ParentLines | None:
    """A parent session's ``agent_progress`` lines and the lines naming a ``subagent_type``.

    Read once per file version (path, size, modification time) and kept for its
    other subagents' files: a session with many subagents is not read again
    for each. None when the parent cannot be read.
    """
    try:
        stat = parent_file.stat()
        key = (str(parent_file), stat.st_size, stat.st_mtime_ns)
        if key in _PARENTS:
            return _PARENTS[key]
        with open_regular(parent_file) as fh:
            start = fh.tell()  # past a byte-order mark
            data = fh.read(_WHOLE_PARENT + 1)
            if len(data) > _WHOLE_PARENT:  # too large to hold: line by line
                del data
                fh.seek(start)
                return _scan_lines(fh)
        progress = _lines_with(data, b"agent_progress")
        typed = _lines_with(data, b'"subagent_type"')
    except (InputError, OSError):
        return None
    if len(_PARENTS) >= 8:
        _PARENTS.clear()
    _PARENTS[key] = (progress, typed)
    return progress, typed


def _lines_with(data: bytes, marker: bytes) -> list[bytes]:
    """The lines of ``data`` (each with its newline) holding ``marker``, in file order.

    The lines ``iter_lines`` would give, found with ``bytes.find`` instead of
    testing every line; a line over ``LINE_LIMIT`` is left out, as it is there.
    """
    found: list[bytes] = []
    at = data.find(marker)
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end + 1
        if end - start <= LINE_LIMIT:
            found.append(data[start:end])
        at = data.find(marker, end)
    return found


def _scan_lines(fh: BinaryIO) -> _ParentLines:
    progress: list[bytes] = []
    typed: list[bytes] = []
    for _, raw, _ in iter_lines(fh):
        if raw is None:
            continue
        if b"agent_progress" in raw:
            progress.append(raw)
        if b'"subagent_type"' in raw:
            typed.append(raw)
    return progress, typed


def _loads_object(raw: bytes) -> dict[str, Any]:
    """A line's JSON object, or an empty dict for anything else (invalid, an array, too deep)."""
    try:
        value = decode(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


ADAPTER = ClaudeCodeAdapter()
