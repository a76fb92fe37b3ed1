"""The ``reverie`` command: a thin typer app over the library.

The app, its command table and its error boundary are in :mod:`reverie.cli.root`;
each command lives in a module of this package with a ``register(app)`` function,
imported when the command is used (:mod:`reverie.cli.lazy`). Exit codes:
:mod:`reverie.cli.exits`.
"""

from __future__ import annotations

from reverie.cli.root import app, main

__all__ = ["app", "main"]
