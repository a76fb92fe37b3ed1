"""What ``reverie export`` can write, in a module with no dependencies.

:data:`EXPORTS` maps an export kind to the template that renders it; the
exporter (:mod:`reverie.render.export`) and ``reverie export --help`` read it.
"""

from __future__ import annotations

__all__ = ["EXPORTS"]

EXPORTS: dict[str, str] = {"claude-md": "claude_md", "agents-md": "agents_md"}
