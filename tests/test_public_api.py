"""``reverie`` re-exports the public API, sorted, lazily, and nothing it does not define."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import reverie


def test_all_is_sorted_and_complete() -> None:
    names = [n for n in reverie.__all__ if n != "__version__"]
    assert names == sorted(names, key=str.casefold) or names == sorted(names)
    assert list(reverie._EXPORTS) == sorted(reverie._EXPORTS)
    assert set(names) == set(reverie._EXPORTS)
    for name in reverie.__all__:
        assert hasattr(reverie, name), name
    assert set(reverie.__all__) <= set(dir(reverie))
    public = {n for n in vars(reverie) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(reverie, n)).__name__ == "module"}
    assert public - modules - {"TYPE_CHECKING", "Any", "annotations", "importlib"} <= set(
        reverie.__all__
    )


def test_type_checkers_see_the_same_names_from_the_same_modules() -> None:
    """The ``if TYPE_CHECKING:`` imports match the table ``__getattr__`` loads from."""
    tree = ast.parse(Path(reverie.__file__).read_text())
    (block,) = [n for n in tree.body if isinstance(n, ast.If)]
    seen = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        if node.module == "typing":
            continue
        for alias in node.names:
            name = alias.asname or alias.name
            seen[name] = node.module + ("" if alias.name == name else f":{alias.name}")
    assert seen == reverie._EXPORTS


def test_no_export_shadows_a_module() -> None:
    """``reverie.render`` is the package whatever was imported first, never a function."""
    submodules = {m.name for m in pkgutil.iter_modules(reverie.__path__)}
    assert {"render", "forget", "mine", "evaluate", "adapters"} <= submodules
    assert not submodules & set(reverie.__all__)
    prompt = importlib.import_module("reverie.render.prompt")
    assert reverie.render_rules is prompt.render
    assert type(reverie.render).__name__ == "module"


def test_import_reverie_loads_no_stage() -> None:
    code = "import sys, reverie; print(sorted(m for m in sys.modules if m.startswith('reverie')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["['reverie']"]
    code = "import sys, reverie; reverie.Rule; print('networkx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_version_is_the_installed_version_and_the_package_is_typed() -> None:
    assert reverie.__version__ == version("reverie")
    assert (Path(reverie.__file__).parent / "py.typed").is_file()  # PEP 561


def test_dream_callers_get_what_dream_takes() -> None:
    from reverie.rulebook import distill

    assert reverie.EvidenceItem is distill.EvidenceItem and reverie.Distiller is distill.Distiller
    assert "link_session" not in reverie.__all__


def test_exports_come_from_reverie() -> None:
    for name in reverie.__all__:
        obj = getattr(reverie, name)
        module = getattr(obj, "__module__", "reverie")
        assert module.startswith("reverie"), (name, module)


def test_fix_facts_and_shell_parsing_are_public() -> None:
    """What a rule is written from (issue 13) is usable from ``reverie`` and ``reverie.mine``."""
    from reverie.mine import destructive, facts, normalize, shell

    mine = importlib.import_module("reverie.mine")
    assert reverie.mine is mine and reverie.mine_motifs is mine.mine
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
