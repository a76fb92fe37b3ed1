"""Render approved rules into agent prompt templates, each rule with its source link.

:func:`render` picks the rules in scope for one tenant and (optionally) one
agent, orders them by trust-weighted confidence, groups them by tool, fills a
typed :class:`RenderContext` and renders a jinja2 template with it.

- **In scope**: status ``approved`` only (proposed, rejected, retired and
  quarantined rules never render, nor a rule still flagged ``needs-directive``);
  the rule's tenant is the tenant (or ``*``,
  which only seeded rules may use); its agents are ``fleet`` or include the
  agent. Without an agent only ``fleet`` rules render, since the prompt may
  reach any agent. Nothing crosses tenants.
- **Trust weight**: the average trust of the rule's evidence
  (``trust_support / support``, the ``[trust]`` weights of the events' sources);
  for a seeded rule, which an operator shipped, the ``operator`` weight.
- **Score**: ``confidence * trust_weight``; rules are ordered by score, then id.
- **Withheld**: a rule in scope whose source names (the agents of its
  evidence, its tools) are flagged as injected instructions
  (:func:`reverie.render.text.name_flags`) is left out of the render and
  listed in the result's ``withheld``; it stays in the rule book for a reviewer.
- **Budget**: with ``budget`` tokens, the lowest-scored rules are left out until
  the output fits; the context's ``omitted`` says how many.

Templates come from the workspace's ``prompts/`` (then Reverie's shipped
ones) or a path. They render in jinja2's immutable sandbox
(:mod:`reverie.render.templating`: a template reaching for Python internals fails
with :class:`~reverie.errors.UnsafeTemplateError`), with ``StrictUndefined``
(a missing variable is an error) and no autoescaping (the output is
Markdown). Text that came from transcripts reaches a template only as data in
the context, never as template source, so ``{{ ... }}`` in a rule is printed as
written; and every string of the context passes through
:func:`reverie.render.text.inline` when the context is built (one line, no HTML
comment marker, no heading), so no value can leave its line or close
Reverie's marked section of a file, whatever the template does with it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from pydantic import BaseModel, ConfigDict, Field, field_validator

from reverie.errors import ConfigError, InputError
from reverie.ids import content_hash
from reverie.render.templating import sandboxed_environment
from reverie.render.text import inline, name_flags
from reverie.render.tokens import LocalCounter, TokenCounter
from reverie.resources import data_dir
from reverie.rulebook.rules import Rule
from reverie.settings import TrustSettings

__all__ = [
    "RenderContext",
    "RenderResult",
    "RenderedRule",
    "RuleGroup",
    "WithheldRule",
    "in_scope",
    "load_template",
    "rank_rules",
    "render",
    "template_variables",
    "trust_weight",
    "withheld_reasons",
]

GENERAL = "General"
SUFFIXES = ("", ".j2", ".md.j2", ".mdc.j2")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Inert(_Model):
    """A model a template reads: every string in it (also in lists) is made inert."""

    @field_validator("*", mode="after")
    @classmethod
    def _inline(cls, value: Any) -> Any:
        if isinstance(value, str):
            return inline(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [inline(v) for v in value]
        return value


class RenderedRule(_Inert):
    """One rule as a template sees it (``rules[]`` and ``groups[].rules[]``)."""

    id: str = Field(description="Rule id, e.g. R-0007.")
    version: int = Field(description="Rule version (raised by every curation or review change).")
    title: str = Field(description="Short title of the rule.")
    directive: str = Field(description="The rule itself: one imperative sentence.")
    when: str = Field(description="When the rule applies.")
    because: str = Field(description="Why: what went wrong without it.")
    group: str = Field(description="Group heading: the rule's first tool, else 'General'.")
    tools: list[str] = Field(description="Tools the rule is about (may be empty).")
    seeded: bool = Field(description="True for a good practice shipped with the rule book.")
    confidence: float = Field(description="Confidence 0..1 from the rule book.")
    trust_weight: float = Field(description="Average evidence trust (operator weight if seeded).")
    score: float = Field(description="confidence * trust_weight; the rule order.")
    sessions: int = Field(description="Number of sessions that support the rule.")
    agents: list[str] = Field(description="Agents whose sessions support the rule.")
    support: int = Field(description="Number of evidence occurrences.")
    explain: str = Field(description="Where to read the evidence: a command or a URL.")
    source: str = Field(description="The source link in one line: id, sessions, agents, trust.")


class RuleGroup(_Inert):
    """Rules sharing a tool (``groups[]``), best group first."""

    name: str = Field(description="Tool name, or 'General' for rules without a tool.")
    rules: list[RenderedRule] = Field(
        description="The group's rules (fields as in rules[]), highest score first."
    )


class RenderContext(_Inert):
    """The variables every template may use; ``reverie render --vars`` lists them."""

    tenant: str = Field(description="Tenant the rules belong to.")
    agent: str | None = Field(description="Agent rendered for; none means fleet rules only.")
    audience: str = Field(description="Who the rules are for, in words.")
    template: str = Field(description="Name of the template being rendered.")
    rules: list[RenderedRule] = Field(description="Rules in the output, highest score first.")
    groups: list[RuleGroup] = Field(description="The same rules grouped by tool.")
    rule_count: int = Field(description="Number of rules in the output.")
    omitted: int = Field(description="Rules in scope left out to fit the budget.")
    budget: int | None = Field(description="Token budget, if one was given.")
    explain_hint: str = Field(description="How to read a rule's evidence: `reverie explain ID`.")


class WithheldRule(_Model):
    """A rule in scope left out because a name from its transcripts reads as an instruction."""

    id: str
    reasons: list[str] = Field(description="What was flagged, e.g. 'agent name: injection:...'.")


class RenderResult(_Model):
    """A finished render: the text, its hash and tokens, and which rules made it."""

    text: str
    hash: str
    tokens: int
    counter: str
    template: str
    template_file: str
    template_hash: str
    context: RenderContext
    left_out: list[RenderedRule] = Field(default_factory=list)
    withheld: list[WithheldRule] = Field(default_factory=list)


def trust_weight(rule: Rule, trust: TrustSettings) -> float:
    """The average trust of ``rule``'s evidence; the operator weight for a seeded rule."""
    if rule.seeded:
        return trust.operator
    ev = rule.evidence
    return round(ev.trust_support / ev.support, 4) if ev.support else 0.0


def in_scope(rule: Rule, tenant: str, agent: str | None) -> bool:
    """Approved with a directive, this tenant's (or seeded for every tenant), and for this
    agent or the fleet. A rule still waiting for its directive never renders."""
    if rule.status != "approved" or not rule.directive or rule.needs_directive:
        return False
    if rule.scope.tenant != tenant and not (rule.scope.tenant == "*" and rule.seeded):
        return False
    if rule.scope.agents == "fleet":
        return True
    return agent is not None and agent in rule.scope.agents


def rank_rules(
    rules: list[Rule], tenant: str, agent: str | None, trust: TrustSettings
) -> list[tuple[Rule, float, float]]:
    """The rules in scope as ``(rule, trust_weight, score)``, highest score first."""
    ranked = []
    for rule in rules:
        if in_scope(rule, tenant, agent):
            tw = trust_weight(rule, trust)
            ranked.append((rule, tw, round(rule.confidence * tw, 4)))
    return sorted(ranked, key=lambda t: (-t[2], t[0].id))


def withheld_reasons(rule: Rule) -> list[str]:
    """Why ``rule`` may not render: its agent or tool names flagged as injection (else [])."""
    return [
        f"{kind} name: {flag}" for kind, flag in name_flags(rule.evidence.agents, rule.scope.tools)
    ]


def _explain(rule_id: str, tenant: str, default_tenant: str, url: str | None) -> str:
    if url:
        return url.format(id=rule_id, tenant=tenant)
    flag = "" if tenant == default_tenant else f" --tenant {tenant}"
    return f"`reverie explain {rule_id}{flag}`"


def _agents_text(agents: list[str]) -> str:
    if not agents:
        return "no agents"
    names = ", ".join(agents[:3]) + (f" and {len(agents) - 3} more" if len(agents) > 3 else "")
    return f"{len(agents)} agent{'s' if len(agents) != 1 else ''} ({names})"


def _rendered(rule: Rule, tw: float, score: float, explain: str) -> RenderedRule:
    ev = rule.evidence
    if rule.seeded:
        basis = "seeded good practice"
    else:
        n = len(ev.sessions)
        basis = f"{n} session{'s' if n != 1 else ''}, {_agents_text(sorted(ev.agents))}"
    return RenderedRule(
        id=rule.id,
        version=rule.version,
        title=rule.title,
        directive=rule.directive,
        when=rule.when,
        because=rule.because,
        group=rule.scope.tools[0] if rule.scope.tools else GENERAL,
        tools=list(rule.scope.tools),
        seeded=rule.seeded,
        confidence=rule.confidence,
        trust_weight=tw,
        score=score,
        sessions=len(ev.sessions),
        agents=sorted(ev.agents),
        support=ev.support,
        explain=explain,
        source=f"{rule.id} v{rule.version}; {basis}; trust {tw:.2f}; evidence: {explain}",
    )


def _groups(rules: list[RenderedRule]) -> list[RuleGroup]:
    groups: dict[str, list[RenderedRule]] = {}
    for r in rules:  # already in score order, so groups come out best first
        groups.setdefault(r.group, []).append(r)
    return [RuleGroup(name=name, rules=members) for name, members in groups.items()]


def template_variables() -> list[tuple[str, str, str]]:
    """Every documented template variable as ``(name, type, description)``."""
    out = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            ann = field.annotation
            kind = ann.__name__ if isinstance(ann, type) else str(ann)
            kind = kind.replace("typing.", "").replace(f"{__name__}.", "")
            out.append((prefix + name, kind, field.description or ""))
            if name == "rules":
                walk(RenderedRule, f"{prefix}rules[].")
            elif name == "groups":
                walk(RuleGroup, f"{prefix}groups[].")

    walk(RenderContext, "")
    return [v for v in out if not v[0].startswith("groups[].rules[].")]


def _environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    return sandboxed_environment(
        loader, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True
    )


def load_template(name: str, prompts_dir: Path | None) -> tuple[jinja2.Template, str, str]:
    """A template by name (``claude_md``, ``claude_md.md.j2``) or path; with its file and source.

    Names are looked up in ``prompts_dir`` first, then in Reverie's shipped prompts.
    Unknown variables and syntax errors are reported before anything renders.
    """
    path = Path(name).expanduser()
    if path.is_file():
        loader: jinja2.BaseLoader = jinja2.FileSystemLoader(str(path.resolve().parent))
        candidates = [path.name]
    else:
        folders = [str(p) for p in (prompts_dir, data_dir("prompts")) if p and Path(p).is_dir()]
        loader = jinja2.FileSystemLoader(folders)
        candidates = [name + suffix for suffix in SUFFIXES]
    env = _environment(loader)
    for candidate in candidates:
        try:
            source, filename, _ = loader.get_source(env, candidate)
        except jinja2.TemplateNotFound:
            continue
        try:
            parsed = env.parse(source)
            template = env.get_template(candidate)
        except jinja2.TemplateSyntaxError as exc:
            raise InputError(f"template syntax error: {exc.message}", filename, exc.lineno) from exc
        unknown = meta.find_undeclared_variables(parsed) - set(RenderContext.model_fields)
        if unknown:
            raise ConfigError(
                f"{filename}: unknown template variable(s) {', '.join(sorted(unknown))}; "
                "`reverie render --vars` lists the variables a template may use"
            )
        return template, str(filename), source
    raise ConfigError(
        f"no template {name!r} in {prompts_dir} or Reverie's shipped prompts (tried "
        f"{', '.join(candidates)}); shipped: system_prompt, claude_md, agents_md, cursor_rules"
    )


def _fill(template: jinja2.Template, ctx: RenderContext, filename: str) -> str:
    data: dict[str, Any] = ctx.model_dump()
    try:
        text = template.render(**data)
    except jinja2.UndefinedError as exc:
        raise ConfigError(
            f"{filename}: {exc.message}; `reverie render --vars` lists the variables"
        ) from exc
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


def render(
    template_name: str,
    rules: list[Rule],
    *,
    tenant: str,
    agent: str | None = None,
    trust: TrustSettings | None = None,
    prompts_dir: Path | None = None,
    budget: int | None = None,
    counter: TokenCounter | None = None,
    explain_url: str | None = None,
    default_tenant: str | None = None,
    held: dict[str, str] | None = None,
) -> RenderResult:
    """Render ``template_name`` with ``rules`` in scope for ``tenant``/``agent``.

    ``held`` maps rule ids to a reason they may not render whatever they say
    (the audit check: no logged decision explains the rule file); such a rule
    in scope is listed in ``withheld`` with that reason, like a flagged name.

    With ``budget``, keep the largest number of top-scored rules whose output
    fits in ``budget`` tokens (counted by ``counter``; a binary search over
    the number kept, so only a few counts are made).
    """
    trust = trust or TrustSettings()
    counter = counter or LocalCounter()
    template, filename, source = load_template(template_name, prompts_dir)
    name = Path(filename).name
    hint = _explain("ID", tenant, default_tenant or tenant, explain_url)
    ranked, withheld = [], []
    held = held or {}
    for r, tw, s in rank_rules(rules, tenant, agent, trust):
        reasons = [f"audit: {held[r.id]}"] if r.id in held else withheld_reasons(r)
        if reasons:
            withheld.append(WithheldRule(id=r.id, reasons=reasons))
            continue
        explain = _explain(r.id, tenant, default_tenant or tenant, explain_url)
        ranked.append(_rendered(r, tw, s, explain))
    audience = f"agent {agent} of tenant {tenant}" if agent else f"every agent of tenant {tenant}"

    def attempt(keep: int) -> tuple[str, RenderContext]:
        kept = ranked[:keep]
        ctx = RenderContext(
            tenant=tenant,
            agent=agent,
            audience=audience,
            template=name,
            rules=kept,
            groups=_groups(kept),
            rule_count=len(kept),
            omitted=len(ranked) - keep,
            budget=budget,
            explain_hint=hint,
        )
        return _fill(template, ctx, filename), ctx

    keep = len(ranked)
    text, ctx = attempt(keep)
    tokens = counter.count(text)
    if budget is not None and tokens > budget:
        lo, hi = 0, keep - 1  # the answer is in [lo, hi]; lo may not fit if nothing does
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if counter.count(attempt(mid)[0]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        keep = lo
        text, ctx = attempt(keep)
        tokens = counter.count(text)
    return RenderResult(
        text=text,
        hash=content_hash(text.encode("utf-8")),
        tokens=tokens,
        counter=counter.name,
        template=name,
        template_file=filename,
        template_hash=content_hash(source.encode("utf-8")),
        context=ctx,
        left_out=ranked[keep:],
        withheld=withheld,
    )
