// How agents use rules at run time (reverie mcp), on a Bolt server, next to graph/neo4j.cypher.
// Applied by BoltUsage the first time a usage method runs on a connection; every statement
// is idempotent (IF NOT EXISTS) and named. Statements end with ";".
//
// Node: RuleUse {id, tenant, rule_id, agent, kind ('retrieved' | 'feedback'), at (epoch ms),
//                helped (feedback: 1 or 0), note (redacted), flags (JSON list)}.
// It points at a rule of the rule book by `rule_id` (rules are files, not nodes).

CREATE CONSTRAINT rule_use_id IF NOT EXISTS FOR (n:RuleUse) REQUIRE n.id IS UNIQUE;
CREATE INDEX rule_use_by_tenant IF NOT EXISTS FOR (n:RuleUse) ON (n.tenant);
CREATE INDEX rule_use_by_rule IF NOT EXISTS FOR (n:RuleUse) ON (n.tenant, n.rule_id);
