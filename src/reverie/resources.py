"""Where the package's default ``graph/`` and ``prompts/`` content lives.

In a wheel they are force-included under ``reverie/_data``; in a source
checkout (editable install) they are the repository's top-level folders.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_dir"]

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The default ``graph`` or ``prompts`` folder shipped with Reverie."""
    bundled = _PACKAGE / "_data" / name
    if bundled.is_dir():
        return bundled
    checkout = _PACKAGE.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"Reverie's default {name}/ folder is missing from the installation")
