"""Rendering: scope, order, budget, golden output per shipped template, strict templates."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from reverie.errors import ConfigError
from reverie.render.prompt import RenderContext, render, template_variables
from reverie.render.records import render_workspace
from reverie.render.tokens import LocalCounter
from reverie.rulebook.rules import load_rules
from reverie.settings import Settings
from reverie.workspace import Workspace

SHIPPED = ["system_prompt", "claude_md", "agents_md", "cursor_rules"]
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("REVERIE_UPDATE_GOLDEN") == "1"


def _ids(result: Any) -> list[str]:
    return [r.id for r in result.context.rules]


def _render(ws: Settings, template: str = "claude_md", **kw: Any) -> Any:
    tenant = kw.pop("tenant", "acme")
    kw.setdefault("agent", None)
    return render_workspace(Workspace(ws), tenant, template, **kw)[0]


@pytest.mark.parametrize("template", SHIPPED)
def test_golden_output_of_each_shipped_template(
    ws: Settings, book: dict, template: str, mask: Any
) -> None:
    result = _render(ws, template, agent="claude-code")
    golden = GOLDEN / f"{template}.md"
    if UPDATE:  # REVERIE_UPDATE_GOLDEN=1 rewrites the golden files; review the diff
        golden.write_text(mask(result.text), encoding="utf-8")
    assert golden.exists(), f"{golden} is missing; write it with REVERIE_UPDATE_GOLDEN=1"
    assert mask(result.text) == golden.read_text(encoding="utf-8")


def test_cursor_rules_file_starts_with_front_matter(ws: Settings, book: dict) -> None:
    text = _render(ws, "cursor_rules").text
    head = text.split("---\n")
    assert text.startswith("---\n") and "alwaysApply: true" in head[1]
    assert "description:" in head[1]


@pytest.mark.parametrize("kind", ["proposed", "rejected", "quarantined", "retired"])
def test_only_approved_rules_render(ws: Settings, book: dict, kind: str, put: Any) -> None:
    rule = book[kind]
    for template in SHIPPED:
        for agent in (None, "claude-code", "codex"):
            result = _render(ws, template, agent=agent)
            assert rule.id not in result.text and rule.directive not in result.text
    # the same rule, approved, does render: the test above can fail
    rule.status = "approved"
    put(rule)
    assert rule.directive in _render(ws).text


def test_another_tenants_rule_never_renders(ws: Settings, book: dict) -> None:
    rule = book["other_tenant"]
    for agent in (None, "claude-code"):
        assert rule.directive not in _render(ws, agent=agent).text
    assert rule.directive in _render(ws, tenant="globex").text
    assert book["fleet"].directive not in _render(ws, tenant="globex").text


def test_a_rule_for_another_agent_is_out_of_scope(ws: Settings, book: dict) -> None:
    codex_only, claude_only = book["other_agent"], book["agent"]
    claude = _render(ws, agent="claude-code")
    assert codex_only.directive not in claude.text
    assert claude_only.directive in claude.text
    codex = _render(ws, agent="codex")
    assert codex_only.directive in codex.text and claude_only.directive not in codex.text
    fleet = _render(ws)  # no agent: only fleet rules, since any agent may read it
    assert codex_only.directive not in fleet.text and claude_only.directive not in fleet.text
    for result in (claude, codex, fleet):  # fleet scope applies to every agent
        assert book["fleet"].directive in result.text


def test_rules_are_ordered_by_trust_weighted_confidence(ws: Settings, book: dict) -> None:
    result = _render(ws, agent="claude-code")
    scores = {r.id: (r.score, r.confidence, r.trust_weight) for r in result.context.rules}
    assert _ids(result) == ["R-0001", "R-0010", "R-0011", "R-0012"]
    assert scores["R-0012"][1] > scores["R-0010"][1]  # more confident, but low trust
    assert scores["R-0012"] == (0.38, 0.95, 0.4)
    assert scores["R-0001"][2] == ws.trust.operator  # seeded: the operator weight
    groups = [g.name for g in result.context.groups]
    assert groups == ["Edit", "Bash", "Read", "General"]


def test_each_rule_carries_its_source_link(ws: Settings, book: dict) -> None:
    text = _render(ws, agent="claude-code").text
    assert (
        "R-0010 v2; 3 sessions, 2 agents (claude-code, codex); trust 0.60; "
        "evidence: `reverie explain R-0010`" in text
    )
    assert "R-0001 v2; seeded good practice; trust 1.00" in text


def test_explain_url_from_config_replaces_the_command(ws: Settings, book: dict) -> None:
    ws.render.explain_url = "https://reverie.example/rules/{id}"
    text = _render(ws).text
    assert "evidence: https://reverie.example/rules/R-0010" in text
    assert "reverie explain R-0010" not in text


def test_budget_leaves_out_the_lowest_scored_and_says_how_many(ws: Settings, book: dict) -> None:
    full = _render(ws, "system_prompt", agent="claude-code")
    counter = LocalCounter()
    budget = full.tokens - 20
    cut = _render(ws, "system_prompt", agent="claude-code", budget=budget, counter=counter)
    assert cut.tokens <= budget < full.tokens
    n = cut.context.omitted
    assert n >= 1 and _ids(cut) == _ids(full)[:-n]
    assert [r.id for r in cut.left_out] == _ids(full)[-n:]
    noun = "rule" if n == 1 else "rules"
    assert f"{n} lower-scored {noun} left out to fit the {budget}-token budget." in cut.text
    # the largest number of rules that fits: one more would not
    assert counter.count(full.text) > budget
    roomy = _render(ws, "system_prompt", agent="claude-code", budget=full.tokens)
    assert roomy.context.omitted == 0 and "left out" not in roomy.text


def test_rule_text_is_data_never_template_source(ws: Settings, make_rule: Any, put: Any) -> None:
    tricky = make_rule("R-0040", "Print {{ 7*7 }} and {% raw %} before <!-- reverie:end --> x.")
    put(tricky)
    text = _render(ws).text
    assert "{{ 7*7 }}" in text and "{% raw %}" in text and "49" not in text
    assert "<!-- reverie:end -->" not in text and "&lt;!-- reverie:end --&gt;" in text


def test_unknown_variable_is_an_error_before_rendering(ws: Settings, book: dict) -> None:
    bad = ws.prompts_dir / "bad.md.j2"
    bad.write_text("{% if false %}{{ ruels }}{% endif %}\n")
    with pytest.raises(ConfigError, match=r"ruels.*--vars"):
        _render(ws, "bad")


def test_missing_attribute_is_an_error_not_an_empty_string(ws: Settings, book: dict) -> None:
    bad = ws.root / "elsewhere.j2"
    bad.write_text("{% for r in rules %}{{ r.evidence_url }}{% endfor %}\n")
    with pytest.raises(ConfigError, match="evidence_url"):
        _render(ws, str(bad))


def test_workspace_template_overrides_the_shipped_one(ws: Settings, book: dict) -> None:
    (ws.prompts_dir / "claude_md.md.j2").write_text("{{ rule_count }} rules for {{ tenant }}\n")
    assert _render(ws).text == "3 rules for acme\n"


def test_unknown_template_names_the_shipped_ones(ws: Settings) -> None:
    with pytest.raises(ConfigError, match="shipped: system_prompt, claude_md"):
        _render(ws, "nope")


def test_template_variables_cover_the_context_model() -> None:
    names = {n for n, _, _ in template_variables()}
    assert set(RenderContext.model_fields) <= names
    assert {"rules[].directive", "rules[].source", "groups[].name"} <= names
    assert all(desc for _, _, desc in template_variables())


def test_render_is_pure_on_the_rule_list(ws: Settings, book: dict) -> None:
    rules = load_rules(ws.rules_dir, "acme")
    a = render("claude_md", rules, tenant="acme", prompts_dir=ws.prompts_dir)
    b = render("claude_md", list(reversed(rules)), tenant="acme", prompts_dir=ws.prompts_dir)
    assert a.text == b.text and a.hash == b.hash


def test_shipped_templates_render_with_no_rules(ws: Settings, tmp_path: Path) -> None:
    for template in SHIPPED:
        text = _render(ws, template).text
        assert "No approved rules apply" in text


def test_docs_list_every_template_variable_with_its_description() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "render.md").read_text()
    for name, kind, description in template_variables():
        row = f"| `{name}` | {kind.replace('|', chr(92) + '|')} | {description} |"
        assert row in docs, row
