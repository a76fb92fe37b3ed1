"""The review web app: :func:`create_app` builds it; ``reverie serve`` runs it with uvicorn.

Routes (one tenant per server; with ``all_tenants`` each under ``/t/TENANT``,
and ``/`` lists the tenants)::

    GET  /                          the queue (?status= &agent= &tool=)
    GET  /rules/ID                  one rule: words, evidence, history, preview, decisions
    POST /rules/ID/DECISION         approve | reject | retire | edit (form, CSRF token)
    GET  /audit                     `reverie audit verify` and the latest decisions
    GET  /static/review.css         the only style sheet (served here: works offline)

Every request passes :class:`~reverie.web.security.Guard` first (Host,
token, Origin; security headers on every answer).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from reverie.errors import ConfigError, ReverieError
from reverie.names import check_tenant
from reverie.settings import Settings, load_settings
from reverie.web.pages import STATIC, Pages
from reverie.web.security import LOOPBACK_HOSTS, Csrf, Guard, check_token
from reverie.web.views import Site, audit_page, decide, queue_page, rule_page, tenants_page

__all__ = ["create_app"]


def _tenant_routes() -> list[BaseRoute]:
    return [
        Route("/", queue_page),
        Route("/rules/{rule_id}", rule_page),
        Route("/rules/{rule_id}/{decision}", decide, methods=["POST"]),
        Route("/audit", audit_page),
    ]


def _routes(all_tenants: bool) -> list[BaseRoute]:
    static: list[BaseRoute] = [Mount("/static", StaticFiles(directory=STATIC))]
    if all_tenants:
        return [Route("/", tenants_page), Mount("/t/{tenant}", routes=_tenant_routes()), *static]
    return [*_tenant_routes(), *static]


def _error_page(request: Request, status: int, message: str) -> Response:
    site: Site = request.app.state.site
    tenant = "" if site.all_tenants else site.tenant
    context = site.context(tenant, f"{status}", status=status, message=message)
    return site.pages.html("error.html", context, status=status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error_page(request, exc.status_code, exc.detail)


async def _reverie_error(request: Request, exc: Exception) -> Response:
    """A page that could not be read from the workspace (a damaged rule file, a store error)."""
    return _error_page(request, 500, f"the workspace could not be read: {exc}")


def create_app(
    workspace: Settings | Path | str,
    tenant: str | None = None,
    *,
    all_tenants: bool = False,
    token: str | None = None,
    hosts: Iterable[str] | None = LOOPBACK_HOSTS,
    secret: bytes | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """The review app for the workspace at ``workspace`` (its folder or its settings).

    ``tenant`` is the server's tenant (default: the workspace's); with
    ``all_tenants`` every tenant is reachable under ``/t/TENANT``. ``token``:
    every request must carry it (see :mod:`reverie.web.security`). ``hosts``:
    the Host names accepted (default: the loopback names; ``None`` accepts any,
    for a server behind a token). ``secret`` keys the CSRF tokens (default:
    fresh random bytes, so forms of an earlier server are refused). ``clock``
    gives the time decisions are recorded at (default: now, UTC).
    """
    import python_multipart  # noqa: F401  (form parsing: a missing package names reverie[web])

    settings = workspace if isinstance(workspace, Settings) else load_settings(Path(workspace))
    try:
        name = check_tenant(tenant or settings.tenant)
    except ValueError as exc:
        raise ConfigError(f"--tenant: {exc}") from exc
    if token is not None:
        check_token(token)
    site = Site(
        settings=settings,
        tenant=name,
        all_tenants=all_tenants,
        csrf=Csrf(secret or secrets.token_bytes(32)),
        pages=Pages(),
        clock=clock or (lambda: datetime.now(UTC)),
    )
    app = Starlette(
        routes=_routes(all_tenants),
        middleware=[Middleware(Guard, token=token, hosts=hosts)],
        exception_handlers={HTTPException: _http_error, ReverieError: _reverie_error},
    )
    app.state.site = site
    return app
