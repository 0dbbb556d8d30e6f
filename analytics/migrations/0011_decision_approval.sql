-- Human approval (processors/approval-hold.ts, docs/approvals.md): a decision that a rule held for approval
-- carries its approval lineage (request id, rule, status approved|rejected|expired, approver, reason, requested
-- and resolved times) as JSON; NULL for a decision that was never held. Query it with visitParamExtract*:
--   SELECT visitParamExtractString(approval, 'status') AS status, count() FROM agent_decisions FINAL
--   WHERE approval IS NOT NULL GROUP BY status
-- Plain ADD COLUMN: see 0007.
ALTER TABLE agent_decisions ADD COLUMN approval Nullable(String) AFTER kb_version_wanted
