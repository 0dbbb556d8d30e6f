-- Which agent made a decision (a route's agents: id and version) and the agents it went through (hand-offs).
-- Plain ADD COLUMN: 18.16 has no ADD COLUMN IF NOT EXISTS; sluice_migrations keeps it from running twice.
ALTER TABLE agent_decisions ADD COLUMN agent_id Nullable(String) AFTER kb_tier;
ALTER TABLE agent_decisions ADD COLUMN agent_version Nullable(String) AFTER agent_id;
ALTER TABLE agent_decisions ADD COLUMN agent_path Array(String) AFTER agent_version
