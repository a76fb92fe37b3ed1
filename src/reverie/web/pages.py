"""The page templates: jinja2 in Reverie's sandbox, with autoescaping on.

Templates live in ``reverie/web/templates/`` and render in the same immutable
sandbox as prompt templates (:func:`reverie.render.templating.sandboxed_environment`),
with ``StrictUndefined`` and **autoescaping on**: every value is HTML-escaped
unless a template says otherwise (none does), so a transcript line holding
``<script>`` shows as text. Control characters (terminal escapes, Unicode
direction overrides) in any printed value show as visible escapes, as in the
terminal (:func:`reverie.controls.printable`).

>>> pages = Pages()
>>> pages.env.from_string("<p>{{ x }}</p>").render(x="<script>alert(1)</script>\\u202e")
'<p>&lt;script&gt;alert(1)&lt;/script&gt;\\\\u202e</p>'
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.responses import HTMLResponse

from reverie.controls import printable
from reverie.render.templating import sandboxed_environment

__all__ = ["STATIC", "TEMPLATES", "Pages"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _finalize(value: Any) -> Any:
    """Every printed string: control characters as visible escapes (escaping comes after)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return printable(value)
    return value


def _at(value: datetime | None) -> str:
    """A time as the pages show it: UTC, to the minute."""
    if value is None:
        return "-"
    if value.utcoffset() is None:
        return value.strftime("%Y-%m-%d %H:%M")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _call_input(value: Any) -> str:
    """A tool call's input as a reviewer reads it: ``key: value`` lines, strings as written.

    >>> print(_call_input({"command": "make deploy && echo ok", "timeout": 30}))
    command: make deploy && echo ok
    timeout: 30
    """
    if not isinstance(value, dict):
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "\n".join(
        f"{key}: {item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)}"
        for key, item in value.items()
    )


def _short(value: str | None, n: int = 12) -> str:
    """A hash shortened for a table cell (``b2:0123456789ab…``)."""
    if not value:
        return "-"
    return value if len(value) <= n + 4 else value[: n + 3] + "…"


class Pages:
    """The templates of the review pages, rendered into HTML responses."""

    def __init__(self, folder: Path = TEMPLATES) -> None:
        self.env = sandboxed_environment(
            jinja2.FileSystemLoader(str(folder)),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_finalize,
        )
        self.env.filters["at"] = _at
        self.env.filters["short"] = _short
        self.env.filters["call_input"] = _call_input

    def html(self, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        """Template ``name`` rendered with ``context``, as an HTML response."""
        return HTMLResponse(self.env.get_template(name).render(**context), status_code=status)
