"""``reverie.__init__`` re-exports the public API, sorted, and nothing it does not define."""

from __future__ import annotations

import reverie


def test_all_is_sorted_and_complete() -> None:
    names = [n for n in reverie.__all__ if n != "__version__"]
    assert names == sorted(names, key=str.casefold) or names == sorted(names)
    for name in reverie.__all__:
        assert hasattr(reverie, name), name
    public = {n for n in vars(reverie) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(reverie, n)).__name__ == "module"}
    assert public - modules <= set(reverie.__all__)


def test_exports_come_from_reverie() -> None:
    for name in reverie.__all__:
        obj = getattr(reverie, name)
        module = getattr(obj, "__module__", "reverie")
        assert module.startswith("reverie"), (name, module)
