/**
 * Every Prometheus metric sluice exports, defined in this one file (as KafkaJS keeps its instrumentation events
 * in one place) so names stay consistent and the README's list is this file. Labels never carry secrets: only
 * topology, task, topic, partition, processor, sink and backend names.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export const registry = new Registry();

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const live = {
  recordsIn: new Counter({
    name: "sluice_records_in_total",
    help: "Records consumed from input topics, per task.",
    labelNames: ["topology", "topic", "partition"],
    registers: [registry],
  }),
  recordsProcessed: new Counter({
    name: "sluice_records_processed_total",
    help: "Records a processor received, per processor and partition.",
    labelNames: ["topology", "processor", "partition"],
    registers: [registry],
  }),
  recordsOut: new Counter({
    name: "sluice_records_out_total",
    help: "Records acknowledged by a sink (durable), per sink and partition.",
    labelNames: ["topology", "sink", "partition"],
    registers: [registry],
  }),
  recordsDeadLettered: new Counter({
    name: "sluice_records_dead_lettered_total",
    help: "Records written to the dead-letter topic, per failing node (decode, a processor or a sink) and partition.",
    labelNames: ["topology", "processor", "partition"],
    registers: [registry],
  }),
  processorLatency: new Histogram({
    name: "sluice_processor_duration_seconds",
    help: "Time a processor spent on one micro-batch (or one record).",
    labelNames: ["topology", "processor"],
    buckets: SECONDS,
    registers: [registry],
  }),
  batchSize: new Histogram({
    name: "sluice_batch_records",
    help: "Records per chunk a task takes from a fetched batch.",
    labelNames: ["topology"],
    buckets: [1, 8, 32, 64, 128, 256, 512, 1000, 2000],
    registers: [registry],
  }),
  commitLatency: new Histogram({
    name: "sluice_commit_duration_seconds",
    help: "Time to commit offsets to Kafka.",
    labelNames: ["topology"],
    buckets: SECONDS,
    registers: [registry],
  }),
  commitFailures: new Counter({
    name: "sluice_commit_failures_total",
    help: "Offset commits that failed (retried at the next commit).",
    labelNames: ["topology"],
    registers: [registry],
  }),
  consumerLag: new Gauge({
    name: "sluice_consumer_lag_records",
    help: "End offset minus committed offset, per assigned partition.",
    labelNames: ["topology", "topic", "partition"],
    registers: [registry],
  }),
  partitionPaused: new Gauge({
    name: "sluice_partition_paused",
    help: "1 while a task waits on a failing dependency (retrying; nothing skipped), else 0.",
    labelNames: ["topology", "topic", "partition"],
    registers: [registry],
  }),
  sinkCircuitOpen: new Gauge({
    name: "sluice_sink_circuit_open",
    help: "1 while a sink's circuit breaker is open (writes fail fast), else 0.",
    labelNames: ["topology", "sink"],
    registers: [registry],
  }),
  sinkWriteLatency: new Histogram({
    name: "sluice_sink_write_duration_seconds",
    help: "Time from handing a batch to a sink to its acknowledgement (Kafka ack, ClickHouse insert).",
    labelNames: ["topology", "sink"],
    buckets: SECONDS,
    registers: [registry],
  }),
  lancedbQueryLatency: new Histogram({
    name: "sluice_lancedb_query_duration_seconds",
    help: "LanceDB retrieval time per micro-batch of the enrich stage.",
    labelNames: ["topology", "processor"],
    buckets: SECONDS,
    registers: [registry],
  }),
  inferenceLatency: new Histogram({
    name: "sluice_inference_duration_seconds",
    help: "TF.js inference time per micro-batch (infer and embed stages).",
    labelNames: ["topology", "processor"],
    buckets: SECONDS,
    registers: [registry],
  }),
  inferenceBackend: new Gauge({
    name: "sluice_inference_backend_info",
    help: "The TF.js backend in use (value 1 on the active one).",
    labelNames: ["backend"],
    registers: [registry],
  }),
  kbTierBytes: new Gauge({
    name: "sluice_kb_tier_bytes",
    help: "Bytes of knowledge-base vectors an enrich stage holds in memory, one series per active tier (memory, or lancedb at 0) and table version (shared by the process's tasks).",
    labelNames: ["topology", "processor", "table", "version", "tier"],
    registers: [registry],
  }),
  stateRestoring: new Gauge({
    name: "sluice_state_restoring",
    help: "1 while a partition's state stores are restored from their changelogs (its records wait; other partitions run), else 0.",
    labelNames: ["topology", "partition"],
    registers: [registry],
  }),
  stateRestoredRecords: new Counter({
    name: "sluice_state_restored_records_total",
    help: "Changelog records applied to local state stores while restoring, per store.",
    labelNames: ["topology", "store"],
    registers: [registry],
  }),
  stateRestoreSeconds: new Histogram({
    name: "sluice_state_restore_seconds",
    help: "Time to restore a partition's state stores from their changelogs.",
    labelNames: ["topology"],
    buckets: [0.05, 0.25, 1, 5, 15, 60, 300],
    registers: [registry],
  }),
  toolCalls: new Counter({
    name: "sluice_tool_calls_total",
    help: "Tool calls by outcome: ok, rejected, unavailable, journal (answered from the journal), budget_exhausted, dry_run, not_journaled.",
    labelNames: ["topology", "tool", "status"],
    registers: [registry],
  }),
  toolCallLatency: new Histogram({
    name: "sluice_tool_call_duration_seconds",
    help: "Time of one tool call that reached the tool (with its retries and its wait for limits).",
    labelNames: ["topology", "tool"],
    buckets: SECONDS,
    registers: [registry],
  }),
  toolCircuitOpen: new Gauge({
    name: "sluice_tool_circuit_open",
    help: "1 while a tool's circuit breaker is open (calls fail fast and the partitions calling it pause), else 0.",
    labelNames: ["topology", "tool"],
    registers: [registry],
  }),
  approvalsPending: new Gauge({
    name: "sluice_approvals_pending",
    help: "Decisions held for human approval, per decide node and partition (docs/approvals.md).",
    labelNames: ["topology", "processor", "partition"],
    registers: [registry],
  }),
  approvalsRequested: new Counter({
    name: "sluice_approvals_requested_total",
    help: "Decisions a decide rule held for approval (an approval request sent).",
    labelNames: ["topology", "processor"],
    registers: [registry],
  }),
  approvalsResolved: new Counter({
    name: "sluice_approvals_resolved_total",
    help: "Held decisions resolved, by verdict: approve, reject, expired_approve, expired_reject, expired_dead_letter.",
    labelNames: ["topology", "processor", "verdict"],
    registers: [registry],
  }),
  clickhouseRows: new Counter({
    name: "sluice_clickhouse_rows_total",
    help: "Rows ClickHouse acknowledged, per sink.",
    labelNames: ["topology", "sink"],
    registers: [registry],
  }),
  agentRecords: new Counter({
    name: "sluice_agent_records_total",
    help: "Records an agent's chain received from a route (first visits and hand-offs), per agent and version.",
    labelNames: ["topology", "router", "agent", "version"],
    registers: [registry],
  }),
  agentLatency: new Histogram({
    name: "sluice_agent_duration_seconds",
    help: "Time an agent's chain spent on one group of records of a route's micro-batch.",
    labelNames: ["topology", "router", "agent", "version"],
    buckets: SECONDS,
    registers: [registry],
  }),
  agentHandoffs: new Counter({
    name: "sluice_agent_handoffs_total",
    help: "Records one agent handed off to another, per route, source and target agent.",
    labelNames: ["topology", "router", "from", "to"],
    registers: [registry],
  }),
  agentHopsExceeded: new Counter({
    name: "sluice_agent_hops_exceeded_total",
    help: "Hand-offs refused by a route's maxHops, per outcome (dead-letter, fallback, keep).",
    labelNames: ["topology", "router", "outcome"],
    registers: [registry],
  }),
  agentFallbacks: new Counter({
    name: "sluice_agent_fallbacks_total",
    help: "Records no candidate agent matched, sent to the route's fallback agent.",
    labelNames: ["topology", "router"],
    registers: [registry],
  }),
} as const;

/**
 * `SLUICE_METRICS=off` swaps every metric for a no-op (to measure what metrics cost: ops/bench/observability-
 * overhead.ts). @default on
 */
const NOOP = { inc() {}, observe() {}, set() {}, remove() {} };
export const metrics: typeof live =
  process.env.SLUICE_METRICS === "off"
    ? (Object.fromEntries(Object.keys(live).map((k) => [k, NOOP])) as unknown as typeof live)
    : live;

/** Processor-reported distributions (`ctx.metrics.observe`) that map onto a dedicated metric. */
export const PROCESSOR_OBSERVATIONS: Record<string, keyof typeof metrics | undefined> = {
  "enrich:batch_ms": "lancedbQueryLatency",
  "infer:batch_ms": "inferenceLatency",
  "embed:batch_ms": "inferenceLatency",
};
