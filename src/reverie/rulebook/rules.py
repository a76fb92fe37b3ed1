"""The rule book: one Markdown file per rule, with YAML front matter, in ``rules/``.

A rule file is ``rules/R-0007.md``::

    ---
    id: R-0007
    title: Format before committing
    directive: Run `mix format` before running `git commit`.
    ...
    ---
    # Format before committing
    ...generated from the front matter...

    ## Notes
    free text, kept as written

The front matter is the source of truth and is validated strictly (unknown
fields, wrong types and bad values are :class:`~reverie.errors.InputError`
naming the file, the line of the field and the fix). The body is generated
from it on every write; only the ``## Notes`` section is free text.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from reverie.errors import InputError
from reverie.rulebook.statuses import RULE_STATUSES, RuleStatus

__all__ = [
    "DESTRUCTIVE",
    "NEEDS_DIRECTIVE",
    "RULE_STATUSES",
    "EventRef",
    "Evidence",
    "FactPattern",
    "Flag",
    "FlagKind",
    "HistoryEntry",
    "LLMRecord",
    "Rule",
    "RuleStatus",
    "Scope",
    "check_directive_form",
    "find_rule",
    "load_rule",
    "load_rules",
    "next_rule_id",
    "render_rule",
    "rule_path",
    "write_rule",
]

# libyaml's safe loader and dumper when PyYAML was built with it (its wheels are): the
# same documents, about ten times faster than the pure-Python ones.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

ID_PATTERN = r"^R-[0-9]{4,12}$"  # ASCII digits only: \d and int() accept any script
_NOT_IMPERATIVE = {"the", "a", "an", "it", "this", "that", "i", "we", "they", "there", "he", "she"}


def check_directive_form(value: str) -> str:
    """One imperative sentence on one line, or a ValueError saying what is wrong."""
    value = value.strip()
    if "\n" in value:
        raise ValueError("must be one sentence on one line")
    if re.search(r"[.!?]\s+[A-Z]", value.rstrip(".!?")):
        raise ValueError("must be one sentence (put the rest into `when` or `because`)")
    first = re.split(r"\W+", value.lstrip("`*_ ").lower(), maxsplit=1)[0]
    if first in _NOT_IMPERATIVE:
        raise ValueError("must be an imperative sentence (start with a verb: Run, Read, Avoid)")
    return value


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scope(_Model):
    """Where a rule applies: one tenant (``"*"`` only for seeded rules), agents or fleet, tools."""

    tenant: str = Field(min_length=1)
    agents: list[str] | Literal["fleet"] = "fleet"
    tools: list[str] = Field(default_factory=list)


class EventRef(_Model):
    """A pointer to one transcript event: its ids and the file and line it came from."""

    event_id: str
    session_id: str
    file: str
    line: int = Field(ge=0)
    role: Literal["failure", "correction"] = "failure"


class Evidence(_Model):
    """What earned the rule: the motif and its sessions, agents, support and a few events."""

    motif_id: str | None = None
    signature_ids: list[str] = Field(default_factory=list)
    sessions: list[str] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list)
    support: int = Field(default=0, ge=0)
    trust_support: float = Field(default=0.0, ge=0)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    events: list[EventRef] = Field(default_factory=list)

    _tz = field_validator("first_seen", "last_seen")(_utc)


class HistoryEntry(_Model):
    """One curation or review decision about the rule: who, when, why."""

    action: str
    actor: str
    at: datetime
    reason: str
    details: dict[str, Any] = Field(default_factory=dict)

    _tz = field_validator("at")(_utc)


FlagKind = Literal[
    "retire", "conflict", "merge", "needs-directive", "destructive", "unhelpful", "unused"
]
NEEDS_DIRECTIVE = "needs-directive"
DESTRUCTIVE = "destructive"


class Flag(_Model):
    """An open question for a reviewer.

    ``retire``, ``conflict`` and ``merge`` are the dream's proposals.
    ``needs-directive``: no fix recurred (or the distiller named none of the
    observed facts), so the rule states the failure and waits for a reviewer
    to write its directive; it is never approved or rendered before that.
    ``destructive``: the observed fix deletes, forces, bypasses checks or
    escalates; it is never auto-approved, and a reviewer's approval keeps the
    flag visible. ``unhelpful`` and ``unused``: how agents used the rule over
    MCP (:mod:`reverie.rulebook.usage`); a reviewer's approve, reject or
    retire resolves them.
    """

    kind: FlagKind
    reason: str
    at: datetime
    related: list[str] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)

    _tz = field_validator("at")(_utc)


class FactPattern(_Model):
    """What a mined rule says, for a seeded rule to recognise a restatement of itself.

    A motif whose fix facts (:class:`reverie.mine.facts.FixFacts`) have one of
    ``classes``, a ``fix`` that is or starts with one of ``fix`` (any when
    empty) and a ``failed`` action that is or starts with one of ``failed``
    (any when empty) restates the seeded rule: the dream adds its evidence to
    the seeded rule instead of proposing a new one.
    """

    classes: list[str] = Field(min_length=1)
    fix: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)

    def matches(self, cls: str, fix: str | None, failed: str | None) -> bool:
        """Whether facts of class ``cls`` with this ``fix`` and ``failed`` restate the rule."""

        def hit(value: str | None, options: list[str]) -> bool:
            if not options:
                return True
            low = (value or "").lower()
            return any(low == o.lower() or low.startswith(o.lower() + " ") for o in options)

        return cls in self.classes and hit(fix, self.fix) and hit(failed, self.failed)


class LLMRecord(_Model):
    """Tokens and cost of the language-model call that wrote the rule's text."""

    model: str
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    cost_usd: float = Field(ge=0)
    cache_key: str


class Rule(_Model):
    """One rule of the rule book (see the module docstring for the file format)."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=3, max_length=120)
    directive: str = Field(default="", max_length=400)
    when: str = Field(min_length=3)
    because: str = Field(min_length=3)
    scope: Scope
    status: RuleStatus = "proposed"
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: Evidence = Field(default_factory=Evidence)
    seeded: bool = False
    version: int = Field(default=1, ge=1)
    created: datetime
    updated: datetime
    distiller: str = "template"
    llm: LLMRecord | None = None
    flags: list[Flag] = Field(default_factory=list)
    matches: list[FactPattern] = Field(
        default_factory=list,
        description="Seeded rules: the mined facts that restate this rule (merged into it).",
    )
    history: list[HistoryEntry] = Field(default_factory=list)
    notes: str = Field(default="", exclude=True)

    _tz = field_validator("created", "updated")(_utc)

    @field_validator("title", "when", "because")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("must be a single line")
        return value.strip()

    @field_validator("directive")
    @classmethod
    def _imperative_sentence(cls, value: str) -> str:
        if not value.strip():
            return ""
        if len(value.strip()) < 5:
            raise ValueError("must be at least 5 characters (or empty, with needs-directive)")
        return check_directive_form(value)

    @model_validator(mode="after")
    def _directive_or_waiting(self) -> Rule:
        if not self.directive and not self.open_flags(NEEDS_DIRECTIVE):
            raise ValueError(
                "directive: is empty; write one, or flag the rule needs-directive"
            )
        if self.directive and self.open_flags(NEEDS_DIRECTIVE):
            raise ValueError("directive: a rule with a directive cannot be needs-directive")
        if self.status == "approved" and not self.directive:
            raise ValueError("status: approved needs a directive (write it with review edit)")
        return self

    @property
    def needs_directive(self) -> bool:
        return bool(self.open_flags(NEEDS_DIRECTIVE))

    @property
    def destructive(self) -> bool:
        return bool(self.open_flags(DESTRUCTIVE))

    @model_validator(mode="after")
    def _star_tenant_only_seeded(self) -> Rule:
        if self.scope.tenant == "*" and not self.seeded:
            raise ValueError("scope.tenant '*' (every tenant) is only allowed for seeded rules")
        return self

    def open_flags(self, kind: str) -> list[Flag]:
        return [f for f in self.flags if f.kind == kind]


FIELD_FIXES = {
    "id": "use R- followed by four or more digits, the same as the file name (R-0007)",
    "status": f"use one of {', '.join(RULE_STATUSES)}",
    "directive": "write one imperative sentence on one line, e.g. 'Run the formatter first.' "
    "(empty only while the rule is flagged needs-directive)",
    "confidence": "use a number from 0 to 1",
    "scope": "give tenant, agents (a list of names or 'fleet') and tools (a list)",
}


def rule_path(rules_dir: Path, rule_id: str) -> Path:
    """``rules_dir/<id>.md``; an id that is not ``R-`` and 4 to 12 ASCII digits is an InputError.

    (``../x``, ``R-١٢٣٤`` in Arabic-Indic digits, or an id too long for a file name.)
    """
    if not re.fullmatch(ID_PATTERN.strip("^$"), rule_id):
        shown = repr(rule_id[:40]) + ("..." if len(rule_id) > 40 else "")
        raise InputError(f"{shown} is not a rule id (R- and 4 to 12 ASCII digits, e.g. R-0007)")
    return Path(rules_dir) / f"{rule_id}.md"


# -- rendering ---------------------------------------------------------------
def _body(rule: Rule) -> str:
    ev = rule.evidence
    lines = [
        f"# {rule.title}",
        "",
        f"**Directive:** {rule.directive}"
        if rule.directive
        else "**Directive:** none yet: no fix recurred. Write it with "
        f"`reverie review edit {rule.id} --directive TEXT`.",
        "",
        f"**When:** {rule.when}",
        "",
        f"**Because:** {rule.because}",
        "",
    ]
    if rule.seeded:
        lines.append("Seeded rule: a known good practice shipped with the rule book.")
    else:
        lines.append(
            f"Evidence: {len(ev.sessions)} sessions, {len(ev.agents)} agents, support {ev.support} "
            f"(trust-weighted {ev.trust_support:g}). Run `reverie explain {rule.id}` for the lines."
        )
    return "\n".join(lines) + "\n"


def render_rule(rule: Rule) -> str:
    """The rule's file text: deterministic, so writing an unchanged rule changes no byte."""
    data = rule.model_dump(mode="json")
    if not data["matches"]:
        del data["matches"]  # only seeded rules carry patterns; others keep their old shape
    front = yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=100)
    text = f"---\n{front}---\n{_body(rule)}"
    if rule.notes.strip():
        text += f"\n## Notes\n\n{rule.notes.strip()}\n"
    return text


def write_rule(rules_dir: Path, rule: Rule) -> Path:
    """Write ``rule`` atomically to ``rules_dir/<id>.md``; skip the write if nothing changed.

    This writes the file alone. Commands write a rule together with the decision
    that explains it (:meth:`reverie.audit.log.AuditLog.commit`, under the workspace
    lock); a file written only by this is reported by ``reverie audit verify``
    and not rendered.
    """
    path = rule_path(rules_dir, rule.id)
    text = render_rule(rule)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


# -- loading -----------------------------------------------------------------
def _field_line(front: str, key: str, offset: int) -> int | None:
    match = re.search(rf"^{re.escape(key)}:", front, flags=re.MULTILINE)
    return offset + front[: match.start()].count("\n") if match else None


def _explain(err: ErrorDetails) -> tuple[str, str]:
    loc = ".".join(str(p) for p in err["loc"]) or "(front matter)"
    top = str(err["loc"][0]) if err["loc"] else ""
    if err["type"] == "missing":
        fix = f"add `{loc}:` to the front matter"
    elif err["type"] == "extra_forbidden":
        fix = f"remove `{loc}` (allowed fields: {', '.join(Rule.model_fields)})"
    else:
        fix = FIELD_FIXES.get(top, "correct the value")
    msg = err["msg"].removeprefix("Value error, ")
    return loc, f"field `{loc}`: {msg}; fix: {fix}"


def load_rule(path: Path) -> Rule:
    """Read and validate one rule file; any problem is an InputError naming file, field, fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read rule file: {exc}", path) from exc
    match = re.match(r"^---\n(.*?\n)---\n?(.*)$", text, flags=re.DOTALL)
    if not match:
        raise InputError(
            "no YAML front matter; fix: start the file with a line `---`, the fields, and `---`",
            path,
            1,
        )
    front, body = match.group(1), match.group(2)
    try:
        data = yaml.load(front, Loader=_LOADER)  # a safe loader (C or Python)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise InputError(
            f"front matter is not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax",
            path,
            None if line is None else line + 2,
        ) from exc
    if not isinstance(data, dict):
        raise InputError("front matter must be a mapping of field: value", path, 2)
    notes, generated = "", body
    notes_match = re.search(r"^## Notes\s*\n(.*)$", body, flags=re.DOTALL | re.MULTILINE)
    if notes_match:
        notes, generated = notes_match.group(1).strip(), body[: notes_match.start()]
    try:
        rule = Rule.model_validate({**data, "notes": notes})
    except ValidationError as exc:
        loc, message = _explain(exc.errors()[0])
        raise InputError(message, path, _field_line(front, loc.split(".")[0], 2)) from exc
    if path.stem != rule.id:
        raise InputError(
            f"field `id`: {rule.id} does not match the file name; fix: rename the file to "
            f"{rule.id}.md or correct the id",
            path,
            _field_line(front, "id", 2),
        )
    if _squash(generated) != _squash(_body(rule)):
        raise InputError(
            "the Markdown body does not match the front matter (the body is generated from it); "
            "fix: edit the front matter fields (or run `reverie review edit`), keep free text "
            "under a `## Notes` heading",
            path,
            front.count("\n") + 3,
        )
    return rule


def _squash(text: str) -> str:
    return " ".join(text.split())


def load_rules(rules_dir: Path, tenant: str | None = None) -> list[Rule]:
    """All rules in ``rules_dir`` sorted by id; with ``tenant``, that tenant's and seeded ones."""
    rules_dir = Path(rules_dir)
    if not rules_dir.is_dir():
        return []
    rules = [load_rule(p) for p in sorted(rules_dir.glob("R-*.md"))]
    if tenant is not None:
        rules = [r for r in rules if r.scope.tenant in (tenant, "*")]
    return sorted(rules, key=lambda r: _id_number(r.id))


def find_rule(rules_dir: Path, rule_id: str, tenant: str | None = None) -> Rule:
    """One rule by id; an InputError if it does not exist (or belongs to another tenant)."""
    path = rule_path(rules_dir, rule_id)
    if not path.exists():
        raise InputError(f"no rule {rule_id}; `reverie rules list` shows the rule ids", rules_dir)
    rule = load_rule(path)
    if tenant is not None and rule.scope.tenant not in (tenant, "*"):
        raise InputError(f"no rule {rule_id} for tenant {tenant!r}", rules_dir)
    return rule


def _id_number(rule_id: str) -> int:
    return int(rule_id.split("-", 1)[1])


def next_rule_id(rules_dir: Path, taken: list[str] | None = None) -> str:
    """The next free id after the highest one in ``rules_dir`` (and ``taken``).

    Only unique while the caller holds the workspace lock from this call until
    the new rule's file is written (:func:`reverie.rulebook.dream.dream` does).
    """
    numbers = [
        _id_number(p.stem) for p in Path(rules_dir).glob("R-*.md") if re.match(ID_PATTERN, p.stem)
    ]
    numbers += [_id_number(t) for t in taken or []]
    return f"R-{max(numbers, default=0) + 1:04d}"
