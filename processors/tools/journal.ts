/**
 * The tool journal: each call's outcome by idempotency key, in an eager state store of the task: the entry is
 * written to the store's changelog right after the call, not with the batch after its outputs (a call that
 * happened is a fact no retry, abort or crash undoes), and is restored where the task moves. A retried batch,
 * a redelivery, a rebalance or a replay finds the journaled outcome and makes no call.
 */
import { createHash } from "node:crypto";
import type { KeyValueStore, ProcessorContext, RecordSource } from "../api.ts";

/** What the journal keeps of one call. */
export interface JournalEntry {
  /** `ok`: the tool answered `result`; `rejected`: it refused the call with `reason` (the record was dead-lettered). */
  status: "ok" | "rejected";
  result?: unknown;
  reason?: string;
  args_hash: string;
  latency_ms: number;
  cost: number;
  at: number;
}

export class ToolJournal {
  constructor(
    private readonly store: KeyValueStore<JournalEntry>,
    private readonly ttlMs: number,
  ) {}

  get(key: string): JournalEntry | undefined {
    return this.store.get(key);
  }

  /** Journals a call's outcome; resolves once it is in the store's changelog (at once without one). */
  async record(key: string, entry: JournalEntry): Promise<void> {
    this.store.put(key, entry, { ttlMs: this.ttlMs });
    await this.store.persisted?.();
  }
}

/** Stable JSON: object keys sorted, so equal arguments hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** `sha256:` + 16 hex digits of the canonical JSON of the arguments. */
export function argumentsHash(args: unknown): string {
  return `sha256:${createHash("sha256").update(canonicalJson(args)).digest("hex").slice(0, 16)}`;
}

/**
 * The idempotency key of a call: the input's lineage key (application, topic, partition, offset), the node and
 * the tool, plus `#n` for the n-th record of one input reaching the node, and `#<run id>` for a replay allowed to
 * call live (so its effects are new ones). Stable across redelivery, rebalance and restarts.
 */
export function idempotencyKey(
  ctx: Pick<ProcessorContext, "applicationId" | "processorName">,
  source: RecordSource,
  tool: string,
  ordinal: number,
  liveReplayRun?: string,
): string {
  const base = `${ctx.applicationId}/${source.topic}/${source.partition}@${source.offset}/${ctx.processorName}/${tool}`;
  return `${base}${ordinal > 0 ? `#${ordinal}` : ""}${liveReplayRun ? `#${liveReplayRun}` : ""}`;
}
