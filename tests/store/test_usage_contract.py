"""Rule-use records (``reverie mcp``) on both stores: counts, feedback, tenants, erasure.

The ``store`` fixture runs each test on the embedded store and on the Bolt
server. The usage table / label is created on first use, so a store made
before it existed keeps working (:func:`test_an_older_store_gains_the_table`).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reverie.store.base import GraphStore
from reverie.store.sqlite import SQLiteStore
from reverie.store.usage_base import RuleUse

T = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _uses() -> list[RuleUse]:
    day = timedelta(days=1)
    return [
        RuleUse(rule_id="R-0001", agent="a", kind="retrieved", at=T - 3 * day),
        RuleUse(rule_id="R-0001", agent="a", kind="retrieved", at=T - day),
        RuleUse(rule_id="R-0001", agent="b", kind="retrieved", at=T),
        RuleUse(rule_id="R-0001", agent="b", kind="feedback", at=T, helped=True, note="fine"),
        RuleUse(rule_id="R-0001", agent="a", kind="feedback", at=T - day, helped=False,
                note="x", flags=["injection:override"]),
        RuleUse(rule_id="R-0002", agent="", kind="retrieved", at=T - 2 * day),
    ]


def test_usage_is_counted_per_rule_and_agent(store: GraphStore, tenant: str) -> None:
    uses = _uses()
    assert store.record_rule_uses(tenant, uses) == 6
    assert store.record_rule_uses(tenant, uses[:2]) == 2  # the same ids: not twice
    rows = {(r.rule_id, r.agent): r for r in store.rule_usage(tenant)}
    assert sorted(rows) == [("R-0001", "a"), ("R-0001", "b"), ("R-0002", "")]
    a, b = rows[("R-0001", "a")], rows[("R-0001", "b")]
    assert (a.retrieved, a.helped, a.unhelpful) == (2, 0, 1)
    assert (b.retrieved, b.helped, b.unhelpful) == (1, 1, 0)
    assert a.first_at == T - timedelta(days=3) and a.last_at == T - timedelta(days=1)
    recent = store.rule_usage(tenant, since=T - timedelta(days=1), rule_ids=["R-0001"])
    assert [(r.agent, r.retrieved, r.unhelpful) for r in recent] == [("a", 1, 1), ("b", 1, 0)]
    assert store.rule_usage(tenant, rule_ids=["R-0404"]) == []


def test_feedback_comes_back_newest_first_with_its_flags(store: GraphStore, tenant: str) -> None:
    store.record_rule_uses(tenant, _uses())
    got = store.rule_feedback(tenant, "R-0001")
    assert [(u.agent, u.helped, u.note, u.flags) for u in got] == [
        ("b", True, "fine", []), ("a", False, "x", ["injection:override"])]
    assert got[0].at == T and got[0].kind == "feedback"
    assert store.rule_feedback(tenant, "R-0001", limit=1) == got[:1]
    assert store.rule_feedback(tenant, "R-0002") == []


def test_usage_never_crosses_tenants_and_erasure_is_per_agent(
    store: GraphStore, tenant: str, new_tenant  # type: ignore[no-untyped-def]
) -> None:
    other = new_tenant()
    store.record_rule_uses(tenant, _uses())
    store.record_rule_uses(other, _uses()[:1])
    assert [(r.rule_id, r.agent, r.retrieved) for r in store.rule_usage(other)] == [
        ("R-0001", "a", 1)]
    assert store.rule_feedback(other, "R-0001") == []
    assert store.erase_rule_uses(tenant, ["a"]) == 3
    assert [(r.rule_id, r.agent) for r in store.rule_usage(tenant)] == [
        ("R-0001", "b"), ("R-0002", "")]
    assert store.rule_usage(other)[0].retrieved == 1  # the other tenant's "a" stays
    assert store.erase_rule_uses(tenant, []) == 0


def test_an_older_store_gains_the_table(tmp_path: Path, tenant: str) -> None:
    path = tmp_path / "old.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as conn:  # as a store made before the usage records existed
        conn.execute("DROP TABLE IF EXISTS rule_uses")
    store = SQLiteStore(path)
    try:
        assert store.rule_usage(tenant) == []
        store.record_rule_uses(tenant, _uses())
        assert len(store.rule_usage(tenant)) == 3
    finally:
        store.close()
    reopened = SQLiteStore(path)
    try:
        assert len(reopened.rule_usage(tenant)) == 3  # the schema is applied again, idempotently
    finally:
        reopened.close()
