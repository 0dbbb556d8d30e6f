/**
 * `tool`: calls a declared tool (the `tools:` section) with arguments built by CEL expressions and merges the
 * result into the record under `into`. Exactly once in effect: each call carries an idempotency key derived from
 * the input's lineage key, and its outcome is journaled in an eager state store as soon as the call returns (its
 * changelog write acknowledged before the record goes on), so a redelivery — after a retry, a rebalance or a
 * kill -9 — returns the journaled result. A 4xx or a result failing the output schema is poison (DLQ with
 * the reason); a 5xx, a timeout or an open circuit is transient (retried, then the partition pauses). Each call
 * is appended to the record's lineage (`tool_calls`): tool, arguments hash, status, latency, cost.
 */
import { z } from "zod";
import { BatchError, ConfigError, PoisonRecordError, TransientError } from "../../core/errors.ts";
import { metrics } from "../../core/metrics.ts";
import type { Processor, ProcessorContext, StreamRecord } from "../api.ts";
import { type CompiledExpression, compileExpression, compileExpressions, recordVariables } from "../cel.ts";
import { defineProcessor } from "../define.ts";
import { objectValue } from "../stage-timing.ts";
import { argumentsHash, idempotencyKey, type JournalEntry, ToolJournal } from "./journal.ts";
import { replayModeOf } from "./replay-mode.ts";
import type { CallOutcome, ToolHandle } from "./tool-handle.ts";
import { type ToolSet, toolSetFor } from "./tool-set.ts";
import type { ReplayMode } from "./tool-spec.ts";

export const toolConfig = z.strictObject({
  /** Name of the tool in the topology's `tools:` section. */
  call: z.string().min(1),
  /** Argument name → CEL expression over the record (value, key, headers, topic, partition, offset, timestamp). @default {} */
  arguments: z.record(z.string(), z.string().min(1)).default({}),
  /** Value field the result is written to. @default the tool's name */
  into: z.string().min(1).optional(),
  /** CEL expression naming the tenant (for per-tenant limits and budgets). @default value.tenant_id, else "" */
  tenant: z.string().min(1).optional(),
  /** Value field holding the list of tool calls (lineage). @default "tool_calls" */
  lineageField: z.string().min(1).default("tool_calls"),
  journal: z
    .strictObject({
      /**
       * Journal each call (exactly once in effect). Turn off only for read-only tools, where a redelivery may
       * call again: then no store is declared and nothing is looked up. @default true
       */
      enabled: z.boolean().default(true),
      /** The journal's state store. @default "<node>-journal" */
      store: z.string().min(1).optional(),
      /** How long a journaled outcome is kept. @default 604800000 (7 days) */
      ttlMs: z
        .number()
        .int()
        .positive()
        .default(7 * 24 * 3_600_000),
    })
    .prefault({}),
});
export type ToolConfig = z.infer<typeof toolConfig>;

/** One entry of a record's `tool_calls` lineage. */
export interface ToolCallLineage {
  tool: string;
  args_hash: string;
  /** ok, journal, rejected, budget_exhausted, dry_run, not_journaled. */
  status: string;
  latency_ms: number;
  cost: number;
  idempotency_key: string;
}

interface Planned {
  record: StreamRecord;
  value: Record<string, unknown>;
  args: Record<string, unknown>;
  hash: string;
  key: string;
  tenant: string;
}

type Outcome = { result: unknown; status: string; latency: number; cost: number };

const journalStore = (config: ToolConfig, node: string) => config.journal.store ?? `${node}-journal`;

export const toolProcessor = defineProcessor({
  type: "tool",
  summary: "calls a declared tool (HTTP, MCP, module) once in effect: journaled, idempotency-keyed, limited",
  config: toolConfig,
  stores: (config, node) =>
    config.journal.enabled ? [{ name: journalStore(config, node), kind: "keyValue", eager: true }] : [],
  create: (config, env): Processor => {
    const spec = env.tools?.find((t) => t.name === config.call);
    if (spec === undefined) {
      const known = (env.tools ?? []).map((t) => t.name).join(", ") || "none";
      throw new ConfigError([
        { path: "call", message: `no tool named "${config.call}" in tools: (declared: ${known})` },
      ]);
    }
    const names = Object.keys(config.arguments);
    const argExpressions = compileExpressions(names.map((n) => [`arguments.${n}`, config.arguments[n]!] as const));
    const tenantExpression: CompiledExpression | undefined =
      config.tenant === undefined ? undefined : compileExpression(config.tenant, "tenant");
    const into = config.into ?? spec.name;
    let ctx: ProcessorContext;
    let tools: ToolSet;
    let handle: ToolHandle;
    let journal: Pick<ToolJournal, "get" | "record">;
    let mode: ReplayMode | "call";

    const plan = (record: StreamRecord, ordinals: Map<string, number>): Planned => {
      const value = objectValue(record.value, ctx.processorName);
      const variables = recordVariables(record);
      const args = Object.fromEntries(names.map((n, i) => [n, argExpressions[i]!.evaluate(variables)]));
      const tenantRaw = tenantExpression ? tenantExpression.evaluate(variables) : value.tenant_id;
      const lineage = `${record.source.topic}/${record.source.partition}@${record.source.offset}`;
      const ordinal = ordinals.get(lineage) ?? 0;
      ordinals.set(lineage, ordinal + 1);
      const liveReplay = mode === "live" && ctx.runId !== "live" ? ctx.runId : undefined;
      const key = idempotencyKey(ctx, record.source, spec.name, ordinal, liveReplay);
      return {
        record,
        value,
        args,
        hash: argumentsHash(args),
        key,
        tenant: typeof tenantRaw === "string" ? tenantRaw : "",
      };
    };

    const count = (status: string) => metrics.toolCalls.inc({ topology: ctx.applicationId, tool: spec.name, status });

    const execute = async (p: Planned): Promise<Outcome> => {
      const journaled: JournalEntry | undefined = mode === "dry-run" ? undefined : journal.get(p.key);
      if (journaled?.status === "ok") {
        count("journal");
        return { result: journaled.result ?? null, status: "journal", latency: 0, cost: 0 };
      }
      if (journaled?.status === "rejected") throw new PoisonRecordError(journaled.reason ?? "tool rejected the call");
      if (mode === "journal") {
        count("not_journaled");
        return { result: null, status: "not_journaled", latency: 0, cost: 0 };
      }
      if (mode === "dry-run") {
        await handle.open().catch((e) => {
          throw e instanceof ConfigError ? e : new TransientError(`tool ${spec.name}: ${(e as Error).message}`);
        });
        handle.checkInput(p.args);
        count("dry_run");
        return { result: null, status: "dry_run", latency: 0, cost: 0 };
      }
      if (!handle.budget.tryCharge(p.tenant)) {
        count("budget_exhausted");
        const reason = `tool ${spec.name}: budget of tenant "${p.tenant}" exhausted (${spec.budget?.perTenant} per ${spec.budget?.windowMs} ms)`;
        if (spec.budget?.onExhausted === "dead-letter") throw new PoisonRecordError(reason);
        return { result: null, status: "budget_exhausted", latency: 0, cost: 0 };
      }
      if (mode === "live" && ctx.runId !== "live") {
        ctx.logger.warn(
          { tool: spec.name, idempotencyKey: p.key },
          "replay makes a live tool call (--allow-side-effects)",
        );
      }
      const started = performance.now();
      // The outcome is journaled (and its changelog write acknowledged) while the call holds its slot, before
      // anything is forwarded: a crash after this point finds the call journaled and makes no second one.
      const settle = (outcome: CallOutcome) =>
        journal.record(p.key, {
          ...outcome,
          args_hash: p.hash,
          latency_ms: performance.now() - started,
          cost: spec.cost,
          at: ctx.now(),
        });
      try {
        const result = await handle.call(p.args, p.key, p.tenant, settle);
        return { result, status: "ok", latency: performance.now() - started, cost: spec.cost };
      } catch (error) {
        if (!(error instanceof PoisonRecordError)) handle.budget.refund(p.tenant);
        throw error;
      }
    };

    const emit = (p: Planned, o: Outcome) => {
      const previous = Array.isArray(p.value[config.lineageField]) ? (p.value[config.lineageField] as unknown[]) : [];
      const call: ToolCallLineage = {
        tool: spec.name,
        args_hash: p.hash,
        status: o.status,
        latency_ms: Number(o.latency.toFixed(3)),
        cost: o.cost,
        idempotency_key: p.key,
      };
      ctx.forward(p.record.withValue({ ...p.value, [into]: o.result, [config.lineageField]: [...previous, call] }));
    };

    return {
      async init(context) {
        ctx = context;
        mode = ctx.runId === "live" ? "call" : replayModeOf(spec);
        journal = config.journal.enabled
          ? new ToolJournal(
              ctx.keyValueStore<JournalEntry>(journalStore(config, ctx.processorName)),
              config.journal.ttlMs,
            )
          : { get: () => undefined, record: async () => {} };
        tools = toolSetFor(env.tools!, env.baseDir, ctx.applicationId).acquire();
        handle = tools.handle(spec.name);
        if (mode === "call" || mode === "live") {
          // A server that is down now is transient (the first calls retry); a wrong config is not.
          await handle.open().catch((e) => {
            if (e instanceof ConfigError) throw e;
            ctx.logger.warn({ tool: spec.name, err: (e as Error).message }, "tool not reachable yet");
          });
        }
      },
      async processBatch(records) {
        const ordinals = new Map<string, number>();
        const failures = new BatchError(`${ctx.processorName}: some tool calls were refused`);
        const planned: Array<Planned | undefined> = records.map((record, i) => {
          try {
            return plan(record, ordinals);
          } catch (error) {
            failures.failed(i, error as Error);
            return undefined;
          }
        });
        const settled = await Promise.allSettled(planned.map((p) => (p ? execute(p) : Promise.resolve(undefined))));
        const transient = settled.find((s) => s.status === "rejected" && !(s.reason instanceof PoisonRecordError));
        if (transient?.status === "rejected") {
          const reason = transient.reason as Error;
          throw reason instanceof TransientError ? reason : new TransientError(reason.message, { cause: reason });
        }
        settled.forEach((s, i) => {
          const p = planned[i];
          if (s.status === "rejected") failures.failed(i, s.reason as Error);
          else if (p && s.value) emit(p, s.value);
        });
        if (failures.failures.size > 0) throw failures;
      },
      async close() {
        await tools?.release();
      },
    };
  },
});
