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


def test_fix_facts_and_shell_parsing_are_public() -> None:
    """What a rule is written from (issue 13) is usable from ``reverie`` and ``reverie.mine``."""
    import importlib

    from reverie.mine import destructive, facts, normalize, shell

    mine = importlib.import_module("reverie.mine")  # ``reverie.mine`` is the function
    owners = {
        "Cause": facts, "FixFacts": facts, "build_facts": facts, "names_a_fact": facts,
        "humanize": normalize, "SimpleCommand": shell, "invocation": shell,
        "destructive_reasons": destructive,
    }
    for name, module in owners.items():
        assert getattr(reverie, name) is getattr(module, name) is getattr(mine, name), name
    assert reverie.parse_shell is shell.parse is mine.parse_shell
    (cmd,) = reverie.parse_shell("sudo git push --force")
    assert (cmd.launcher, cmd.program, reverie.invocation(cmd)) == (
        ("sudo",), "git push", "sudo git push --force")
    assert reverie.destructive_reasons(reverie.invocation(cmd)) == [
        "escalates privileges (sudo)", "forces (git push --force)"]
