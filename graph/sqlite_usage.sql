-- How agents use rules at run time (reverie mcp), on SQLite next to graph/sqlite.sql.
-- Applied idempotently by SQLiteUsage on first use; a store made before it existed
-- gets the table the first time a usage method runs.
-- One row per retrieval and per feedback, per rule and agent. Times: epoch ms (UTC).
-- Every row carries its tenant; every index leads with it.

CREATE TABLE IF NOT EXISTS rule_uses (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    kind TEXT NOT NULL,          -- 'retrieved' | 'feedback'
    at INTEGER NOT NULL,
    helped INTEGER,              -- feedback: 1 helped, 0 did not
    note TEXT NOT NULL DEFAULT '',
    flags TEXT NOT NULL DEFAULT '[]'   -- JSON list: injection flags of the note
);
CREATE INDEX IF NOT EXISTS rule_uses_by_rule ON rule_uses (tenant, rule_id, at);
CREATE INDEX IF NOT EXISTS rule_uses_by_time ON rule_uses (tenant, at);
CREATE INDEX IF NOT EXISTS rule_uses_by_agent ON rule_uses (tenant, agent);
