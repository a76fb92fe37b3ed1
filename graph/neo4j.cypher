// Reverie's provenance graph on a Bolt server (Neo4j 5, ArcadeDB).
// Applied on every connect; every statement is idempotent (IF NOT EXISTS) and
// named (ArcadeDB rejects unnamed CREATE INDEX). Statements end with ";".
//
// Nodes:         Tenant, Agent, Session, Event, Source, Outcome (every one carries `tenant`)
// Relationships: (Session)-[:RUN_BY]->(Agent)        (Event)-[:IN_SESSION]->(Session)
//                (Event)-[:NEXT]->(Event)            (Event)-[:ANSWERS]->(Event)
//                (Event)-[:FROM_SOURCE {line}]->(Source)
//                (Session)-[:HAS_OUTCOME]->(Outcome)
// Ids are strings (tenant-chained content hashes), unique per label across tenants.
// Times are epoch milliseconds (UTC).

CREATE CONSTRAINT tenant_id IF NOT EXISTS FOR (n:Tenant) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT agent_id IF NOT EXISTS FOR (n:Agent) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT session_id IF NOT EXISTS FOR (n:Session) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT source_id IF NOT EXISTS FOR (n:Source) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT outcome_id IF NOT EXISTS FOR (n:Outcome) REQUIRE n.id IS UNIQUE;

// Reads lead with the tenant.
CREATE INDEX agent_by_tenant IF NOT EXISTS FOR (n:Agent) ON (n.tenant);
CREATE INDEX session_by_tenant IF NOT EXISTS FOR (n:Session) ON (n.tenant);
CREATE INDEX session_by_agent IF NOT EXISTS FOR (n:Session) ON (n.tenant, n.agent);
CREATE INDEX session_by_native IF NOT EXISTS FOR (n:Session) ON (n.tenant, n.native_id);
CREATE INDEX event_by_tenant IF NOT EXISTS FOR (n:Event) ON (n.tenant);
CREATE INDEX event_by_session IF NOT EXISTS FOR (n:Event) ON (n.tenant, n.session_id);
CREATE INDEX event_by_source IF NOT EXISTS FOR (n:Event) ON (n.tenant, n.source_id);
CREATE INDEX source_by_path IF NOT EXISTS FOR (n:Source) ON (n.tenant, n.path);
CREATE INDEX outcome_by_tenant IF NOT EXISTS FOR (n:Outcome) ON (n.tenant);

// Mining results (reverie.store.bolt_mining), replaced per tenant by each run:
// (Failure)-[:OBSERVED_IN]->(Event), (Failure)-[:HAS_SIGNATURE]->(Signature),
// (Correction)-[:CORRECTS]->(Failure), (Motif)-[:GROUPS]->(Signature).
CREATE CONSTRAINT failure_id IF NOT EXISTS FOR (n:Failure) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT signature_id IF NOT EXISTS FOR (n:Signature) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT correction_id IF NOT EXISTS FOR (n:Correction) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT motif_id IF NOT EXISTS FOR (n:Motif) REQUIRE n.id IS UNIQUE;
CREATE INDEX failure_by_tenant IF NOT EXISTS FOR (n:Failure) ON (n.tenant);
CREATE INDEX failure_by_signature IF NOT EXISTS FOR (n:Failure) ON (n.tenant, n.signature_id);
CREATE INDEX signature_by_tenant IF NOT EXISTS FOR (n:Signature) ON (n.tenant);
CREATE INDEX correction_by_tenant IF NOT EXISTS FOR (n:Correction) ON (n.tenant);
CREATE INDEX motif_by_tenant IF NOT EXISTS FOR (n:Motif) ON (n.tenant);
