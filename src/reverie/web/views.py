"""The request handlers: read the query, ask :mod:`reverie.web.queries`, render a page.

Every handler works on one tenant: the server's (``/``, ``/rules/ID``,
``/audit``), or with ``--all-tenants`` the one in the path (``/t/TENANT/...``).
Each request opens its own :class:`~reverie.workspace.Workspace` (so no store
connection is shared between threads) and closes it before answering.

A decision is a POST of the rule's form: CSRF token, reviewer, reason (and
for an edit the new words). It runs :func:`reverie.rulebook.review.review`
exactly as ``reverie review`` does (the rule file, its history and the audit
entry written as one unit under the workspace lock), then redirects to the
rule's page (POST-redirect-GET). A decision the library refuses (the rule's
state, a missing directive, a busy lock, a log that does not verify) shows
the rule's page again with the library's message, and a 4xx status (503 for
a busy workspace).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from reverie.controls import CONTROL
from reverie.errors import AuditError, ConfigError, InputError, ReverieError, WorkspaceBusy
from reverie.names import check_tenant
from reverie.rulebook.review import ALLOWED_FROM, EDITABLE, Decision, review
from reverie.rulebook.rules import Rule
from reverie.rulebook.statuses import RULE_STATUSES
from reverie.settings import Settings
from reverie.web.pages import Pages
from reverie.web.preview import previews
from reverie.web.queries import (
    STATUS_ORDER,
    Filters,
    audit_view,
    known_tenants,
    lookup_rule,
    queue,
    rule_view,
)
from reverie.web.security import Csrf
from reverie.workspace import Workspace

__all__ = ["DECISIONS", "REVIEWER_COOKIE", "Site", "audit_page", "decide", "queue_page",
           "rule_page", "tenants_page"]

DECISIONS: tuple[Decision, ...] = ("approve", "reject", "retire", "edit")
REVIEWER_COOKIE = "reverie_reviewer"
MAX_REVIEWER = 100
MAX_REASON = 2000
MAX_FORM = 64 * 1024


@dataclass
class Site:
    """What every handler needs: the workspace's settings, the tenant, CSRF and templates."""

    settings: Settings
    tenant: str
    all_tenants: bool
    csrf: Csrf
    pages: Pages
    clock: Callable[[], datetime]

    def workspace(self) -> Workspace:
        return Workspace(self.settings)

    def tenant_of(self, request: Request) -> str:
        """The request's tenant; with --all-tenants one that exists, else 404."""
        if not self.all_tenants:
            return self.tenant
        name = str(request.path_params.get("tenant", ""))
        try:
            check_tenant(name)
        except ValueError:
            raise HTTPException(404, "no such tenant") from None
        with self.workspace() as ws:
            if name not in known_tenants(ws):
                raise HTTPException(404, "no such tenant")
        return name

    def base(self, tenant: str) -> str:
        """The URL prefix of the tenant's pages ("" for the tenant list)."""
        return f"/t/{tenant}" if self.all_tenants and tenant else ""

    def context(self, tenant: str, title: str, **more: Any) -> dict[str, Any]:
        return {
            "title": title,
            "tenant": tenant,
            "base": self.base(tenant),
            "all_tenants": self.all_tenants,
            "workspace": str(self.settings.root),
            **more,
        }


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


# -- pages --------------------------------------------------------------------------------
def tenants_page(request: Request) -> Response:
    """With --all-tenants: every tenant, with its rules per status."""
    site = _site(request)
    with site.workspace() as ws:
        names = known_tenants(ws)
    rows = [(name, queue(site.settings, name, Filters()).counts) for name in names]
    context = site.context("", "Tenants", tenants=rows, statuses=STATUS_ORDER)
    return site.pages.html("tenants.html", context)


def queue_page(request: Request) -> Response:
    """The queue: the tenant's rules by status, proposed first, with filters."""
    site = _site(request)
    tenant = site.tenant_of(request)
    params = request.query_params
    status = params.get("status") or None
    if status is not None and status not in RULE_STATUSES:
        raise HTTPException(400, f"status must be one of {', '.join(RULE_STATUSES)}")
    filters = Filters(status=status, agent=params.get("agent") or None,
                      tool=params.get("tool") or None)
    data = queue(site.settings, tenant, filters)
    return site.pages.html(
        "queue.html", site.context(tenant, "Review queue", queue=data, statuses=STATUS_ORDER)
    )


def _no_rule(rule_id: str, tenant: str) -> HTTPException:
    shown = rule_id[:40] + ("…" if len(rule_id) > 40 else "")
    return HTTPException(404, f"no rule {shown} for tenant {tenant}")


def _rule_response(
    request: Request,
    tenant: str,
    rule_id: str,
    *,
    error: str | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
    failed: str | None = None,
) -> Response:
    site = _site(request)
    with site.workspace() as ws:
        rule = lookup_rule(ws.rules_dir, tenant, rule_id)
        if rule is None:
            raise _no_rule(rule_id, tenant)
        view = rule_view(ws, tenant, rule)
        shown = previews(ws, tenant, rule)
    base = site.base(tenant)
    done = request.query_params.get("done")
    recorded = None
    if error is None and done in DECISIONS and rule.history:
        last = rule.history[-1]
        recorded = last if last.action == f"review.{done}" else None
    reviewer = unquote(request.cookies.get(REVIEWER_COOKIE, "")) or (
        site.settings.review.reviewer or "")
    values = {"reviewer": reviewer, "reason": "", **view.editable, **(form or {})}
    context = site.context(
        tenant,
        f"{rule.id} {rule.title}",
        view=view,
        rule=rule,
        x=view.explanation,
        previews=shown,
        csrf=site.csrf.issue(f"{base}/rules/{rule.id}"),
        allowed={d: rule.status in ALLOWED_FROM[d] for d in DECISIONS},
        error=error,
        recorded=recorded,
        values=values,
        failed=failed,
    )
    return site.pages.html("rule.html", context, status=status)


def rule_page(request: Request) -> Response:
    """One rule: its words, evidence, history, where it would appear, and the decisions."""
    site = _site(request)
    tenant = site.tenant_of(request)
    return _rule_response(request, tenant, str(request.path_params["rule_id"]))


def audit_page(request: Request) -> Response:
    """``reverie audit verify`` and the tenant's latest decisions."""
    site = _site(request)
    tenant = site.tenant_of(request)
    with site.workspace() as ws:
        data = audit_view(ws, tenant)
    return site.pages.html("audit.html", site.context(tenant, "Audit log", audit=data))


# -- decisions ----------------------------------------------------------------------------
def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def _problems(reviewer: str, reason: str) -> list[str]:
    """What is wrong with the reviewer and reason fields (the library checks the rest)."""
    out = []
    if not reviewer:
        out.append("who is deciding? give the reviewer's name")
    elif len(reviewer) > MAX_REVIEWER or CONTROL.search(reviewer) or "\n" in reviewer:
        out.append(f"the reviewer's name is one line of at most {MAX_REVIEWER} characters")
    if not reason:
        out.append("a decision needs a reason")
    elif len(reason) > MAX_REASON or CONTROL.search(reason):
        out.append(f"the reason is at most {MAX_REASON} characters, without control characters")
    return out


def _refusal_status(exc: ReverieError) -> int:
    """The status of a decision the library refused."""
    if isinstance(exc, WorkspaceBusy):
        return 503
    if isinstance(exc, AuditError):
        return 409
    if isinstance(exc, InputError | ConfigError):
        return 400
    return 500


def _decide(site: Site, tenant: str, rule_id: str, decision: Decision, reviewer: str,
            reason: str, edits: dict[str, str | None] | None) -> Rule:
    """The decision, as ``reverie review`` makes it (the library takes the workspace lock)."""
    with site.workspace() as ws:
        if lookup_rule(ws.rules_dir, tenant, rule_id) is None:
            raise _no_rule(rule_id, tenant)
        return review(ws, tenant, rule_id, decision, reviewer=reviewer, reason=reason,
                      now=site.clock(), edits=edits)


async def decide(request: Request) -> Response:
    """POST ``/rules/ID/DECISION``: check the form, record the decision, redirect."""
    site = _site(request)
    tenant = await run_in_threadpool(site.tenant_of, request)
    rule_id = str(request.path_params["rule_id"])
    decision = next((d for d in DECISIONS if d == request.path_params["decision"]), None)
    if decision is None:
        raise HTTPException(404, "no such decision: use approve, reject, retire or edit")
    if int(request.headers.get("content-length") or 0) > MAX_FORM:
        raise HTTPException(413, f"a decision's form is at most {MAX_FORM} bytes")
    form = await request.form()
    base = site.base(tenant)
    token = form.get("csrf")
    if not site.csrf.check(token if isinstance(token, str) else None, f"{base}/rules/{rule_id}"):
        raise HTTPException(
            403, "the form's CSRF token is missing, wrong or expired: reload the rule's page "
            "and decide again")
    reviewer, reason = _text(form, "reviewer"), _text(form, "reason")
    edits = {k: _text(form, k) or None for k in EDITABLE} if decision == "edit" else None
    values = {"reviewer": reviewer, "reason": reason,
              **{k: v for k, v in (edits or {}).items() if v is not None}}
    problems = _problems(reviewer, reason)
    try:
        if problems:
            raise InputError("; ".join(problems))
        rule = await run_in_threadpool(_decide, site, tenant, rule_id, decision, reviewer,
                                       reason, edits)
    except ReverieError as exc:
        return await run_in_threadpool(
            _rule_response, request, tenant, rule_id,
            error=f"{decision} refused: {exc}", status=_refusal_status(exc), form=values,
            failed=decision,
        )
    response = RedirectResponse(f"{base}/rules/{rule.id}?done={decision}", status_code=303)
    response.set_cookie(REVIEWER_COOKIE, quote(reviewer), max_age=30 * 24 * 3600,
                        httponly=True, samesite="strict")
    return response
