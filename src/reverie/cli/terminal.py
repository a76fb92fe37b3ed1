"""Transcript text made safe to print on a reviewer's terminal.

Transcripts can hold terminal control sequences (an ESC that recolours,
hides or clears text, or sets the window title) and Unicode direction
overrides (which reorder what the eye reads). Before such text is shown,
those characters other than newline and tab are replaced by visible escapes,
so a reviewer sees them instead of the terminal obeying them.

>>> printable("ok \\x1b[8mhidden\\x07")
'ok \\\\x1b[8mhidden\\\\x07'

Every command prints through :class:`SafeConsole` (``reverie.cli.common``'s
``console`` and ``err_console``): it applies :func:`printable` to every string
and :class:`~rich.text.Text` it renders, so no code path can forget it.
Transcript text is also never read as rich markup: tables of data are
:class:`DataTable`, whose string cells are shown as written (``[red]x[/red]``
stays ``[red]x[/red]``), and other output builds ``Text`` objects or uses
:func:`rich.markup.escape`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.table import Table
from rich.text import Span, Text

from reverie.controls import CONTROL, printable

__all__ = ["DataTable", "SafeConsole", "printable", "printable_text"]


def printable_text(text: Text) -> Text:
    """A copy of ``text`` with :func:`printable` applied; its styles keep covering the same
    characters. ``text`` itself is returned when it holds no control character."""
    plain = text.plain
    if CONTROL.search(plain) is None:
        return text
    pieces: list[str] = []
    offsets = [0]  # offsets[i]: where old character i starts in the new text
    for char in plain:
        piece = printable(char)
        pieces.append(piece)
        offsets.append(offsets[-1] + len(piece))
    spans = [Span(offsets[s.start], offsets[s.end], s.style) for s in text.spans]
    return Text(
        "".join(pieces),
        style=text.style,
        justify=text.justify,
        overflow=text.overflow,
        no_wrap=text.no_wrap,
        end=text.end,
        tab_size=text.tab_size,
        spans=spans,
    )


class SafeConsole(Console):
    """A rich Console that shows control characters in printed text as visible escapes.

    Strings (also table cells and titles) pass through :meth:`render_str`,
    ``Text`` objects through :meth:`render`; both apply :func:`printable`.
    Control codes rich itself emits (colours, cursor moves of a progress bar)
    are segments, not text, and are left alone.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(printable(text), **kwargs)

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        if isinstance(renderable, Text):
            renderable = printable_text(renderable)
        return super().render(renderable, options)


class DataTable(Table):
    """A rich Table of data: string cells are shown as written, never read as markup.

    A cell holding ``[bold red]`` or ``[/]`` (from a transcript, a rule, a
    name) prints those characters; pass a ``Text`` for a styled cell.
    """

    def add_row(self, *renderables: RenderableType | None, **kwargs: Any) -> None:
        cells = [Text(printable(c)) if isinstance(c, str) else c for c in renderables]
        super().add_row(*cells, **kwargs)
