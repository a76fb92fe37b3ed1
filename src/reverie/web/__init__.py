"""The review web page: compliance reviewers decide on rules in a browser (``reverie serve``).

Server-rendered (Starlette and jinja2 with autoescaping), no JavaScript, its
own style sheet; installed with ``pip install 'reverie[web]'``. Modules:

- :mod:`reverie.web.app`: :func:`create_app`, the app factory (routes, error pages);
- :mod:`reverie.web.security`: Host, token, Origin and CSRF checks, security headers;
- :mod:`reverie.web.views`: the request handlers; decisions go through
  :func:`reverie.rulebook.review.review`, as ``reverie review`` makes them;
- :mod:`reverie.web.queries`: what the pages show, read from the library;
- :mod:`reverie.web.preview`: the exported section with and without a rule, as a diff;
- :mod:`reverie.web.pages`: the templates (``templates/``) and the style sheet (``static/``).

``docs/review.md`` describes the pages, the safety model and the options.
"""

from __future__ import annotations

from reverie.web.app import create_app

__all__ = ["create_app"]
