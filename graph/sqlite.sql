-- Reverie's provenance graph on SQLite (the embedded store).
-- Nodes are tables; the high-volume relationships are columns:
--   (Event)-[:IN_SESSION]->(Session)  events.session_id
--   (Event)-[:NEXT]->(Event)          events.prev_id (the event before this one)
--   (Event)-[:ANSWERS]->(Event)       events.answers_id (result -> call)
--   (Event)-[:FROM_SOURCE]->(Source)  events.source_id + events.line
--     (not indexed: a file's events are found through its sessions, which
--      keeps each insert cheaper; sessions.source_id is indexed)
--   (Session)-[:RUN_BY]->(Agent)      sessions.agent_id
--   (Session)-[:HAS_OUTCOME]->(Outcome) outcomes.session_id
-- Every row carries its tenant; every index leads with it.
-- Times are epoch milliseconds (UTC).

CREATE TABLE IF NOT EXISTS tenants (
    id TEXT PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS agents_by_name ON agents (tenant, name);

CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    format TEXT NOT NULL,
    events INTEGER NOT NULL DEFAULT 0,
    ingested_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS sources_by_path ON sources (tenant, path);

CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    native_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    format TEXT NOT NULL,
    source_id TEXT NOT NULL,
    task TEXT,
    model TEXT,
    started_at INTEGER,
    ended_at INTEGER,
    parent_id TEXT,
    parent_call_id TEXT,
    attrs TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS sessions_by_agent ON sessions (tenant, agent);
CREATE INDEX IF NOT EXISTS sessions_by_native ON sessions (tenant, native_id);
CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions (tenant, started_at);
CREATE INDEX IF NOT EXISTS sessions_by_source ON sessions (tenant, source_id);

CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    role TEXT,
    trust TEXT NOT NULL,
    text TEXT,
    tool TEXT,
    tool_input TEXT,
    call_id TEXT,
    is_error INTEGER NOT NULL DEFAULT 0,
    exit_code INTEGER,
    ts INTEGER,
    model TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cache_read_tokens INTEGER,
    cache_write_tokens INTEGER,
    cost_usd REAL,
    flags TEXT,
    attrs TEXT,
    prev_id TEXT,
    answers_id TEXT,
    source_id TEXT NOT NULL,
    line INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_session ON events (tenant, session_id, seq);
CREATE INDEX IF NOT EXISTS events_by_kind_tool ON events (tenant, kind, tool);
CREATE INDEX IF NOT EXISTS events_errors ON events (tenant, session_id) WHERE is_error = 1;

CREATE TABLE IF NOT EXISTS outcomes (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    session_id TEXT NOT NULL,
    success INTEGER,
    reward REAL,
    detail TEXT,
    source_id TEXT,
    line INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS outcomes_by_session ON outcomes (tenant, session_id);
