/**
 * Audit trail of runs: each `sluice run` and `replay` writes a start and a stop event to ClickHouse `audit_log`
 * with the topology's content hash, the model ids, the knowledge-base table and version, the run id, the host and
 * the sluice version. With the lineage on each decision, an auditor can answer "which model and which knowledge
 * produced this decision, from which input".
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { StreamRecord } from "../../processors/api.ts";
import { modelIdOf } from "../../processors/model-files.ts";
import type { Sink } from "../../sinks/api.ts";
import type { CompiledTopology } from "../compiler.ts";

const SLUICE_VERSION = (
  JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")) as { version: string }
).version;

export interface AuditFacts {
  topologyHash: string;
  modelIds: string[];
  kbTable: string | null;
  kbVersion: number | null;
}

/** Reads what a run is made of: file hash, model ids of embed/infer stages, the enrich table and its version. */
export async function auditFacts(topology: CompiledTopology): Promise<AuditFacts> {
  const text = topology.file ? readFileSync(topology.file, "utf8") : JSON.stringify(topology.spec);
  const topologyHash = `sha256:${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
  const modelIds: string[] = [];
  let kbTable: string | null = null;
  let kbVersion: number | null = null;
  const path = (p: string) => (isAbsolute(p) ? p : resolve(topology.baseDir, p));
  for (const node of topology.nodes.values()) {
    if (node.kind !== "processor") continue;
    const config = node.config as {
      model?: string;
      encoder?: string;
      db?: string;
      table?: string;
      candidates?: { model: string }[];
    };
    const type = node.definition.type;
    if ((type === "infer" || type === "embed") && config.model) modelIds.push(await modelIdOf(path(config.model)));
    // Candidate models (shadow, canary) ran too: list them after the primary.
    for (const candidate of type === "infer" ? (config.candidates ?? []) : []) {
      modelIds.push(await modelIdOf(path(candidate.model)));
    }
    if (type === "enrich" && config.db && config.table) {
      kbTable = config.table;
      try {
        const table = await (await lancedb.connect(path(config.db))).openTable(config.table);
        kbVersion = await table.version();
      } catch {
        kbVersion = null;
      }
    }
  }
  return { topologyHash, modelIds: [...new Set(modelIds)], kbTable, kbVersion };
}

export async function writeAuditEvent(
  sink: Sink,
  /** `start`/`stop` of a run; `rollout_promote`/`rollout_rollback` from `sluice rollout`. */
  event: "start" | "stop" | "rollout_promote" | "rollout_rollback",
  run: { applicationId: string; runId: string; groupId: string; facts: AuditFacts; details?: Record<string, unknown> },
): Promise<void> {
  const value = {
    run_id: run.runId,
    event,
    at: Date.now(),
    application_id: run.applicationId,
    group_id: run.groupId,
    topology_hash: run.facts.topologyHash,
    model_ids: run.facts.modelIds,
    kb_table: run.facts.kbTable,
    kb_version: run.facts.kbVersion,
    host: hostname(),
    sluice_version: SLUICE_VERSION,
    details: JSON.stringify(run.details ?? {}),
  };
  await sink.write([new StreamRecord(null, value, {}, Date.now(), { topic: "", partition: -1, offset: -1 })]);
}
