-- Which knowledge-base retrieval tier answered a decision (`memory`: exact, in the enrich process; `lancedb`).
-- Plain ADD COLUMN: 18.16 has no ADD COLUMN IF NOT EXISTS; sluice_migrations keeps it from running twice.
ALTER TABLE agent_decisions ADD COLUMN kb_tier Nullable(String) AFTER kb_version
