"""What tells the three chat-log formats apart when sniffing: OpenAI, Anthropic, completion logs.

OpenAI chat messages, Anthropic Messages API logs and LiteLLM-style
completion logs all hold ``messages`` with ``role`` and, often, lists of
``{"type": "text"}`` content blocks, so neither roles nor text blocks decide
between them. These marks are keys and values only one of the shapes writes
(a JSON string inside a message escapes its quotes, so text that merely
mentions a key does not match):

* OpenAI: ``tool_calls`` lists, ``tool_call_id``, the ``tool`` role,
  ``function_call``, ``"type": "function"``, ``choices``,
  ``"object": "chat.completion"``, ``finish_reason``, ``prompt_tokens``,
  ``image_url`` blocks;
* Anthropic: ``tool_use`` / ``server_tool_use`` / ``tool_result`` /
  ``thinking`` blocks, ``tool_use_id``, ``stop_reason``,
  ``"type": "message"``, ``input_tokens``;
* a completion log: a ``response`` that is a chat completion (``choices`` or
  ``"object": "chat.completion"``) beside the request's ``messages`` (both
  keys of the record itself, not of something nested in a message);
  OpenHands' ``fncall_response``; or OpenHands' layout, a document opening
  with ``{"messages": [`` and closing with ``"timestamp": ..., "cost": ...}``
  (the response sits in between and may be beyond the bytes sniffed).

>>> openai_marks('{"role": "assistant", "tool_calls": [{"id": "c1"}]}')
['tool_calls']
>>> anthropic_marks('{"content": [{"type": "tool_use", "id": "t"}], "stop_reason": "x"}')
['stop_reason', 'tool_use_block']
>>> log = '{"messages": [], "response": {"object": "chat.completion"}}'
>>> completion_marks(log, log)
['chat_completion_response']
"""

from __future__ import annotations

import re

__all__ = ["anthropic_marks", "completion_marks", "openai_marks", "top_level_keys"]

_OPENAI = {
    "tool_calls": r'"tool_calls"\s*:\s*\[\s*\{',
    "tool_call_id": r'"tool_call_id"\s*:',
    "tool_role": r'"role"\s*:\s*"tool"',
    "function_call": r'"function_call"\s*:\s*\{',
    "function_type": r'"type"\s*:\s*"function"',
    "choices": r'"choices"\s*:\s*\[',
    "chat_completion": r'"object"\s*:\s*"chat\.completion',
    "finish_reason": r'"finish_reason"\s*:',
    "prompt_tokens": r'"prompt_tokens"\s*:',
    "image_url": r'"type"\s*:\s*"image_url"',
}
_ANTHROPIC = {
    "stop_reason": r'"stop_reason"\s*:',
    "tool_use_block": r'"type"\s*:\s*"(server_)?tool_use"',
    "tool_result_block": r'"type"\s*:\s*"tool_result"|"tool_use_id"\s*:',
    "thinking_block": r'"type"\s*:\s*"(redacted_)?thinking"',
    "message_object": r'"type"\s*:\s*"message"',
    "input_tokens": r'"input_tokens"\s*:',
}
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"\s*:?|[{}\[\]]')
_FNCALL_RESPONSE = re.compile(r'"fncall_response"\s*:\s*\{')
_OPENHANDS_HEAD = re.compile(r'^\s*\{\s*"messages"\s*:\s*\[')
_OPENHANDS_TAIL = re.compile(
    r'"timestamp"\s*:\s*[0-9.eE+-]+\s*,\s*"cost"\s*:\s*([0-9.eE+-]+|null)\s*\}\s*$'
)


def _found(patterns: dict[str, str], text: str) -> list[str]:
    return sorted(name for name, pattern in patterns.items() if re.search(pattern, text))


def openai_marks(text: str) -> list[str]:
    """Names of the OpenAI-only marks found in ``text``, sorted."""
    return _found(_OPENAI, text)


def anthropic_marks(text: str) -> list[str]:
    """Names of the Anthropic-only marks found in ``text``, sorted."""
    return _found(_ANTHROPIC, text)


def top_level_keys(text: str) -> list[str]:
    """Keys of the first JSON object in ``text`` at that object's top level, in order.

    Reads only as far as ``text`` goes (a file's head may cut the object), so a
    key nested in a message is never mistaken for one of the record's own.

    >>> top_level_keys('[{"messages": [{"extra": {"response": {}}}], "info": {"a": 1}}]')
    ['messages', 'info']
    """
    start = text.find("{")
    keys: list[str] = []
    depth = 0
    for token in _TOKEN.finditer(text, max(start, 0)):
        value = token.group()
        if value in ("{", "["):
            depth += 1
        elif value in ("}", "]"):
            depth -= 1
            if depth <= 0:
                break
        elif depth == 1 and value.endswith(":"):
            keys.append(value[1 : value.rindex('"')])
    return keys


def completion_marks(head: str, sample: str) -> list[str]:
    """Names of the completion-log marks: ``head`` is the file's first bytes, ``sample``
    the head plus its last bytes (see :func:`reverie.adapters._common.read_sample`)."""
    keys = set(top_level_keys(head))
    if not keys & {"messages", "fncall_messages", "request"}:
        return []
    marks = []
    completion = set(openai_marks(sample)) & {"choices", "chat_completion"}
    if "response" in keys and completion:
        marks.append("chat_completion_response")
    if _FNCALL_RESPONSE.search(sample):
        marks.append("fncall_response")
    if _OPENHANDS_HEAD.match(head) and _OPENHANDS_TAIL.search(sample):
        marks.append("openhands_layout")
    return marks
