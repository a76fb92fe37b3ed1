"""The one jinja2 environment every prompt template renders in: sandboxed and strict.

Templates come from the workspace's ``prompts/`` folder (or a path given on
the command line), so a template is input, not code Reverie trusts. They
render in jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: no
attribute that starts with ``_`` (so no ``cycler.__init__.__globals__.os``),
no Python internals, no mutating a list or dict. A template that reaches for
one fails with :class:`~reverie.errors.UnsafeTemplateError` naming its file.
Undefined variables are errors (``StrictUndefined``), and no autoescaping is
done: the outputs are Markdown and prompts, whose transcript-derived values are
made safe before they reach the template (see :mod:`reverie.render.prompt`).

>>> env = sandboxed_environment(jinja2.DictLoader({"t.j2": "{{ x.__class__ }}"}))
>>> env.get_template("t.j2").render(x=1)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
reverie.errors.UnsafeTemplateError: t.j2: the template tried something the sandbox forbids ...
"""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from reverie.errors import UnsafeTemplateError

__all__ = ["sandboxed_environment"]


class _Template(jinja2.Template):
    """A template whose sandbox violations surface as :class:`UnsafeTemplateError`."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        try:
            return super().render(*args, **kwargs)
        except SecurityError as exc:
            where = self.filename if self.filename not in (None, "<template>") else self.name
            raise UnsafeTemplateError(
                f"the template tried something the sandbox forbids ({str(exc).rstrip('.')}); "
                "templates may only read the variables they are given (`reverie render "
                "--vars`, or the context of prompts/distill/): remove that expression",
                where,
            ) from exc


class _Environment(ImmutableSandboxedEnvironment):
    template_class = _Template


def sandboxed_environment(loader: jinja2.BaseLoader, **options: Any) -> jinja2.Environment:
    """An immutable-sandbox environment over ``loader``: strict undefined, no autoescape.

    ``options`` are further :class:`jinja2.Environment` options (e.g. ``trim_blocks``).
    """
    options.setdefault("undefined", jinja2.StrictUndefined)
    options.setdefault("autoescape", False)
    return _Environment(loader=loader, **options)
