-- Mining results on SQLite (the embedded store), next to graph/sqlite.sql.
-- Applied idempotently by SQLiteMining._ensure_mining_schema().
-- Relationships are columns:
--   (Failure)-[:OBSERVED_IN]->(Event)        mine_failures.event_id
--   (Failure)-[:HAS_SIGNATURE]->(Signature)  mine_failures.signature_id
--   (Correction)-[:CORRECTS]->(Failure)      mine_corrections.failure_id
--   (Correction) fixed by (Event)            mine_corrections.event_id
--   (Motif)-[:GROUPS]->(Signature)           mine_motif_signatures
-- A tenant's rows are replaced as a whole by each mining run.
-- Every row carries its tenant; every index leads with it. Times: epoch ms.

CREATE TABLE IF NOT EXISTS mine_failures (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    event_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    kind TEXT NOT NULL,
    detector TEXT NOT NULL,
    tool TEXT,
    program TEXT,
    text TEXT NOT NULL,
    signature_id TEXT,
    trust TEXT NOT NULL,
    ts INTEGER
);
CREATE INDEX IF NOT EXISTS mine_failures_by_signature
    ON mine_failures (tenant, signature_id, session_id);
CREATE INDEX IF NOT EXISTS mine_failures_by_event ON mine_failures (tenant, event_id);

CREATE TABLE IF NOT EXISTS mine_signatures (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    tool TEXT,
    program TEXT,
    error_class TEXT NOT NULL,
    template TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mine_signatures_by_tenant ON mine_signatures (tenant);

CREATE TABLE IF NOT EXISTS mine_corrections (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    failure_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    steps INTEGER NOT NULL,
    tokens INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mine_corrections_by_failure ON mine_corrections (tenant, failure_id);

CREATE TABLE IF NOT EXISTS mine_motifs (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    score REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mine_motifs_by_score ON mine_motifs (tenant, score);

CREATE TABLE IF NOT EXISTS mine_motif_signatures (
    tenant TEXT NOT NULL,
    motif_id TEXT NOT NULL,
    signature_id TEXT NOT NULL,
    PRIMARY KEY (tenant, motif_id, signature_id)
);
