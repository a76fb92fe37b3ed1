"""Failures to signatures: a masked template keyed by tool, program, error class and kind.

For each failure, :func:`signature_text` keeps the decisive error line (see
:mod:`reverie.mine.normalize`) with the header of a multi-check output
("Pre-commit validation failed: [FORMAT]"), masks its variable parts, and
:func:`assign_signatures` merges near-identical templates with a Drain-style
:class:`~reverie.mine.drain.TemplateMiner` inside each key. It sets every
failure's ``signature_id`` and returns the signatures.

User corrections are keyed by the action they answer, not by their wording
(people rarely say the same thing twice): the template is "user correction
after <program or tool>"; the words themselves stay in the failure's text and
in the correction.

A signature id is ``make_id("signature", tenant, tool, program, error_class,
kind, template)``: the same template under the same key gets the same id in
every run.

>>> from reverie.models import Failure
>>> fs = [
...     Failure(id=f"f{i}", tenant="t", event_id=f"e{i}", session_id=f"s{i}", agent="a",
...             kind="exit_code", detector="exit_code", tool="Bash", program="pytest",
...             text=f"Exit code 1\\nE   ModuleNotFoundError: No module named 'pkg{i}'")
...     for i in range(3)
... ]
>>> sigs = assign_signatures("t", fs)
>>> len(sigs), sigs[0].template
(1, 'E ModuleNotFoundError: No module named <STR>')
>>> fs[0].signature_id == fs[2].signature_id == sigs[0].id
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from reverie.ids import make_id
from reverie.mine.drain import TemplateMiner
from reverie.mine.normalize import decisive_lines, error_class, mask, unescape
from reverie.models import Failure, Signature

__all__ = [
    "USER_KINDS",
    "assign_signatures",
    "signature_parts",
    "signature_source",
    "signature_text",
]

_EXIT = re.compile(r"(?i)^exit code (-?\d+)")
USER_KINDS = frozenset({"correction", "interruption"})
_KIND_CLASS = {
    "rejection": "rejection",
    "interruption": "interruption",
    "correction": "correction",
    "failed_outcome": "failed_outcome",
    "timeout": "timeout",
    "syntax_error": "syntax_error",
    "format_error": "format_error",
    "empty_result": "empty_result",
}
"""Kinds that are their own error class (detection already read the notice)."""


def signature_text(failure: Failure) -> tuple[str, str]:
    """``(error_class, masked template)`` for one failure."""
    cls, template, _ = signature_parts(failure)
    return cls, template


def signature_parts(failure: Failure) -> tuple[str, str, str]:
    """``(error_class, masked template, unmasked line)``: :func:`signature_text` and
    :func:`signature_source` at once, the decisive line found once."""
    if failure.kind in USER_KINDS:
        target = failure.program or failure.tool or "reply"
        label = "interrupted" if failure.kind == "interruption" else "user correction"
        template = f"{label} after {target}"
        return failure.kind, template, template
    if failure.kind == "failed_outcome":
        return "failed_outcome", "session outcome: failed", "session outcome: failed"
    text = unescape(failure.text)
    code = 1 if failure.kind == "exit_code" else None
    cls = _KIND_CLASS.get(failure.kind) or error_class(text, code)
    line = _source(text)
    if not line.strip():
        shown = _EXIT.match(text.strip())
        return cls, f"exit code {shown.group(1) if shown else '?'} with no output", line
    return cls, mask(line), line


def signature_source(failure: Failure) -> str:
    """The unmasked line :func:`signature_text` masks: the raw text for
    :func:`~reverie.mine.normalize.humanize` and
    :func:`~reverie.mine.normalize.signature_values`.

    >>> from reverie.models import Failure
    >>> f = Failure(id="f", tenant="t", event_id="e", session_id="s", agent="a",
    ...             kind="exit_code", detector="exit_code", tool="Bash", program="python",
    ...             text="Traceback (most recent call last):\\nKeyError: 'k3'")
    >>> signature_source(f), signature_text(f)
    ("KeyError: 'k3'", ('KeyError', 'KeyError: <STR>'))
    """
    if failure.kind in USER_KINDS or failure.kind == "failed_outcome":
        return signature_text(failure)[1]
    return _source(unescape(failure.text))


def _source(text: str) -> str:
    """The decisive line of an (unescaped) failure text, a multi-check part's header kept."""
    lines = text.splitlines()
    if lines and lines[0].endswith("]") and "[" in lines[0] and len(lines) > 1:
        # one check of a multi-check output: "header [TAG]" then the check's body
        return lines[0] + " " + decisive_lines("\n".join(lines[1:]))
    return decisive_lines(text)


def assign_signatures(
    tenant: str,
    failures: Iterable[Failure],
    threshold: float = 0.6,
    texts: Mapping[str, tuple[str, str]] | None = None,
    sources: dict[str, str] | None = None,
) -> list[Signature]:
    """Set ``signature_id`` on every failure; return the distinct signatures.

    ``texts`` maps failure ids to an ``(error class, masked template)`` already
    computed by :func:`signature_text` (evaluation passes them to avoid
    recomputing); failures not in it are computed here, once per distinct
    (kind, tool, program, text). ``sources``, if given, receives each computed
    failure's :func:`signature_source` line by failure id.
    """
    texts = texts or {}
    seen: dict[tuple[str, str | None, str | None, str], tuple[str, str, str]] = {}
    miner = TemplateMiner(threshold=threshold)
    pending: list[tuple[Failure, tuple[str | None, str | None, str, str], int]] = []
    for failure in failures:
        given = texts.get(failure.id)
        if given:
            cls, template = given
        else:
            content = (failure.kind, failure.tool, failure.program, failure.text)
            parts = seen.get(content)
            if parts is None:
                parts = seen[content] = signature_parts(failure)
            cls, template, source = parts
            if sources is not None:
                sources[failure.id] = source
        key = (failure.tool, failure.program, cls, failure.kind)
        pending.append((failure, key, miner.add(key, template)))
    signatures: dict[str, Signature] = {}
    ids: dict[int, str] = {}
    for failure, key, cluster in pending:
        sid = ids.get(cluster)
        if sid is None:
            template = miner.template(cluster)
            sid = make_id("signature", tenant, *key, template)
            ids[cluster] = sid
            signatures[sid] = Signature(
                id=sid, tenant=tenant, tool=key[0], program=key[1], error_class=key[2],
                template=template,
            )
        failure.signature_id = sid
    return list(signatures.values())
