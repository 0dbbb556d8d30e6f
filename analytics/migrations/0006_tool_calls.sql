-- The tool calls behind each decision (the `tool` processor's lineage): tool, arguments hash, status (ok, journal,
-- rejected, budget_exhausted, dry_run, not_journaled), latency, cost and the idempotency key sent to the tool.
-- Nested, like `stages`: one array per field. Plain ADD COLUMN: 18.16 has no ADD COLUMN IF NOT EXISTS;
-- sluice_migrations keeps it from running twice.
ALTER TABLE agent_decisions ADD COLUMN tool_calls Nested(tool String, args_hash String, status String, latency_ms Float64, cost Float64, idempotency_key String)
