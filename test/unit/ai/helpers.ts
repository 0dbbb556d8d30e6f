/**
 * Shared fixtures for the AI-stage unit tests: a hand-made ProcessorContext that collects forwarded records,
 * records from synthetic events, and a real LanceDB knowledge base (a few tenants of models/kb) in a temp dir.
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { silentLogger } from "../../../core/logger.ts";
import type { Processor, ProcessorContext } from "../../../processors/api.ts";
import { StreamRecord } from "../../../processors/api.ts";
import type { KbDoc } from "../../../processors/kb-docs.ts";
import { readDocsJsonl } from "../../../processors/kb-docs.ts";
import { buildKnowledgeBase } from "../../../processors/knowledge-base.ts";
import { noStores } from "../../../processors/stores.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

export const ROOT = path.resolve(import.meta.dirname, "../../..");
export const ENCODER_DIR = path.join(ROOT, "models/encoder");
export const CLASSIFIER_DIR = path.join(ROOT, "models/classifier");
export const KB_DOCS = path.join(ROOT, "models/kb/docs.jsonl");

export interface TestContext extends ProcessorContext {
  readonly forwarded: StreamRecord[];
  readonly counters: Map<string, number>;
  clock: number;
}

export function testContext(processorName = "stage"): TestContext {
  const forwarded: StreamRecord[] = [];
  const counters = new Map<string, number>();
  const ctx = {
    applicationId: "support-triage-test",
    runId: "live",
    processorName,
    taskId: "enterprise-events-0",
    partition: 0,
    logger: silentLogger(),
    metrics: {
      count: (name: string, value = 1) => counters.set(name, (counters.get(name) ?? 0) + value),
      observe: () => undefined,
    },
    children: [],
    forwarded,
    counters,
    clock: 1_767_225_600_000,
    now: () => ctx.clock,
    ...noStores,
    forward: (record: StreamRecord) => {
      forwarded.push(record);
    },
  };
  return ctx;
}

/** Records as the decode stage hands them over: offsets from `firstOffset` on partition 0. */
export function records<V>(values: readonly V[], firstOffset = 0, headers = {}): StreamRecord<V>[] {
  return values.map(
    (value, i) =>
      new StreamRecord<V>(null, value, headers, 1_767_225_600_000 + i, {
        topic: "enterprise-events",
        partition: 0,
        offset: firstOffset + i,
      }),
  );
}

/** Runs a processor over records as one micro-batch; returns the BatchError (or other error) if thrown. */
export async function runBatch(p: Processor, input: readonly StreamRecord[]): Promise<unknown> {
  try {
    await p.processBatch?.(input as StreamRecord<never>[]);
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Documents of the first `tenants` tenants of the sample knowledge base. */
export async function sampleDocs(tenants = 3): Promise<KbDoc[]> {
  const keep = new Set(Array.from({ length: tenants }, (_, i) => `tenant-${String(i + 1).padStart(3, "0")}`));
  return (await readDocsJsonl(KB_DOCS)).filter((d) => keep.has(String(d.tenant_id)));
}

/** A fresh LanceDB folder with table `kb` built from `docs` by the real encoder. */
export async function knowledgeBase(
  docs: readonly KbDoc[],
  indexThreshold = Number.POSITIVE_INFINITY,
): Promise<string> {
  const db = await mkdtemp(path.join(os.tmpdir(), "sluice-ai-test-"));
  await buildKnowledgeBase(docs, { db, table: "kb", encoder: ENCODER_DIR, indexThreshold });
  return db;
}

export interface DriverOptions {
  /** Node the `out` sink reads from. */
  sinkFrom: string;
  /** `avro` checks piped values against schemas/enterprise-event.avsc. @default "avro" */
  source?: "avro" | "json";
  /** @default 64 */
  batch?: number;
  /** `${VAR}` values for the YAML. @default {} */
  env?: Record<string, string>;
  /** Schema the `out` sink checks values against (path under ROOT), else JSON. */
  sinkSchema?: string;
}

/** A test driver over `events → <processors> → out (+ dlq)`, the processors given as YAML list items. */
export async function driverFor(processorsYaml: string, o: DriverOptions): Promise<TopologyTestDriver> {
  const value =
    (o.source ?? "avro") === "avro"
      ? `{ format: avro, schema: ${ROOT}/schemas/enterprise-event.avsc }`
      : "{ format: json }";
  const sinkValue = o.sinkSchema ? `{ format: avro, schema: ${path.join(ROOT, o.sinkSchema)} }` : "{ format: json }";
  const text = `
applicationId: ai-test
kafka: { brokers: "localhost:9092" }
processing: { batch: { maxRecords: ${o.batch ?? 64}, maxWaitMs: 5 } }
sources:
  - name: events
    topic: enterprise-events
    value: ${value}
processors:
${processorsYaml}
sinks:
  - name: out
    type: kafka
    from: ${o.sinkFrom}
    kafka: { topic: out, value: ${sinkValue} }
  - name: dlq
    type: dead-letter
`;
  const loaded = parseTopology(text, { baseDir: ROOT, env: { ...process.env, ...(o.env ?? {}) } });
  return TopologyTestDriver.create(loaded.spec, { baseDir: loaded.baseDir, now: 1_767_225_600_000 });
}
