/**
 * The tool journal: each call's outcome by idempotency key, in a state store of the task (so it reaches the
 * store's changelog before the input offset may be committed, and is restored where the task moves). A
 * redelivery, a rebalance or a replay finds the journaled outcome and makes no call. Outcomes of calls whose
 * micro-batch was then retried (its store writes dropped) are also kept in memory, so the retry does not call again.
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

/** Calls remembered in memory beyond the store, per task: enough for every record of a retried batch. */
const PENDING_LIMIT = 50_000;

export class ToolJournal {
  private readonly pending = new Map<string, JournalEntry>();

  constructor(
    private readonly store: KeyValueStore<JournalEntry>,
    private readonly ttlMs: number,
  ) {}

  get(key: string): JournalEntry | undefined {
    const stored = this.store.get(key);
    if (stored !== undefined) return stored;
    const pending = this.pending.get(key);
    // Put it back: the batch that wrote it first was retried, and its store write dropped.
    if (pending !== undefined) this.store.put(key, pending, { ttlMs: this.ttlMs });
    return pending;
  }

  record(key: string, entry: JournalEntry): void {
    this.store.put(key, entry, { ttlMs: this.ttlMs });
    this.pending.set(key, entry);
    if (this.pending.size > PENDING_LIMIT) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
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
