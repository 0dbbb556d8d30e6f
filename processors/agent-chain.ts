/**
 * Runs one agent's chain of steps over a group of records inside a `route` processor: each step is a processor
 * of its own type with its own context (named `<agent>.<step>`, sharing the task's stores and metrics), its
 * forwards collected and attributed to the record they descend from. Bad data in a step fails only that record
 * (with the agent and step in the reason); a retriable error escapes, so the task retries the whole micro-batch.
 */
import { BatchError, ConfigError, isRetriable, PoisonRecordError } from "../core/errors.ts";
import type { AgentDefinition } from "./agents-api.ts";
import { agentStepName } from "./agents-api.ts";
import type { Processor, ProcessorContext, ProcessorEnvironment, RecordSource, StreamRecord } from "./api.ts";
import { processorDefinition } from "./registry.ts";

/** What the chain made of one input record: its outputs, or why it failed. */
export interface ChainResult {
  outputs: StreamRecord[];
  error?: Error;
}

interface Item {
  origin: number;
  record: StreamRecord;
}

const lineage = (s: RecordSource) => `${s.topic}\u0000${s.partition}\u0000${s.offset}`;

export class AgentChain {
  private readonly steps: Array<{ name: string; processor: Processor }>;
  private staged: StreamRecord[] = [];

  constructor(
    readonly agent: AgentDefinition,
    env: ProcessorEnvironment,
  ) {
    // Steps get the route's environment (base folder, agents, whatever else the topology hands its factories),
    // without its input schema: a step's input is not the route's once earlier steps or hand-offs changed it.
    const { inputSchema: _, ...stepEnv } = env;
    this.steps = agent.steps.map((step) => {
      const definition = processorDefinition(step.type);
      if (definition === undefined || step.type === "route")
        throw new ConfigError(`agent ${agent.id}: step ${step.name} has an unusable type "${step.type}"`);
      return { name: step.name, processor: definition.create(step.config as never, stepEnv) };
    });
  }

  /** Initialises every step with a context of its own that forwards into this chain. */
  async init(ctx: ProcessorContext): Promise<void> {
    for (const { name, processor } of this.steps) {
      const processorName = agentStepName(this.agent.id, name);
      const stepContext: ProcessorContext = Object.freeze({
        ...ctx,
        processorName,
        children: [],
        logger: ctx.logger.child({ agent: this.agent.id, step: name }),
        metrics: {
          count: (metric: string, value?: number) => ctx.metrics.count(`${processorName}.${metric}`, value),
          observe: (metric: string, value: number) => ctx.metrics.observe(`${processorName}.${metric}`, value),
        },
        store: (store: string) => ctx.store(store),
        keyValueStore: <V>(store: string) => ctx.keyValueStore<V>(store),
        windowStore: <V>(store: string) => ctx.windowStore<V>(store),
        forward: (record: StreamRecord, child?: string) => {
          if (child !== undefined)
            throw new Error(`${processorName}: a step of an agent's chain has no named children`);
          this.staged.push(record);
        },
      });
      await processor.init?.(stepContext);
    }
  }

  /** Runs `records` through every step; one result per record, in order. */
  async run(records: readonly StreamRecord[]): Promise<ChainResult[]> {
    const results: ChainResult[] = records.map(() => ({ outputs: [] }));
    let items: Item[] = records.map((record, origin) => ({ origin, record }));
    for (const step of this.steps) {
      if (items.length === 0) break;
      items = await this.invoke(step, items, results);
    }
    for (const item of items) results[item.origin]!.outputs.push(item.record);
    return results;
  }

  private fail(step: string, item: Item, error: unknown, results: ChainResult[]): void {
    if (isRetriable(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const where = `agent ${this.agent.id}@${this.agent.version} step ${step}`;
    results[item.origin]!.error ??= new PoisonRecordError(`${where}: ${message}`, { cause: error });
  }

  private async invoke(
    step: { name: string; processor: Processor },
    items: Item[],
    results: ChainResult[],
  ): Promise<Item[]> {
    const out: Item[] = [];
    const { processor, name } = step;
    if (!processor.processBatch) {
      for (const item of items) {
        this.staged = [];
        try {
          await processor.process?.(item.record);
          for (const record of this.staged) out.push({ origin: item.origin, record });
        } catch (error) {
          this.fail(name, item, error, results);
        }
      }
      return out;
    }
    const byLineage = new Map<string, number>();
    for (const item of items)
      if (!byLineage.has(lineage(item.record.source))) byLineage.set(lineage(item.record.source), item.origin);
    this.staged = [];
    let failed = new Set<number>();
    try {
      await processor.processBatch(items.map((i) => i.record));
    } catch (error) {
      if (!(error instanceof BatchError) || error.failures.size === 0) {
        if (isRetriable(error)) throw error;
        if (items.length === 1) {
          this.fail(name, items[0]!, error, results);
          return [];
        }
        // The batch failed as a whole on bad data: find the culprits one record at a time.
        for (const item of items) out.push(...(await this.invoke(step, [item], results)));
        return out;
      }
      for (const [i, failure] of error.failures) if (items[i]) this.fail(name, items[i]!, failure, results);
      failed = new Set([...error.failures.keys()].map((i) => items[i]?.origin ?? -1));
    }
    for (const record of this.staged) {
      const origin = byLineage.get(lineage(record.source));
      if (origin === undefined)
        throw new Error(`${agentStepName(this.agent.id, name)} forwarded a record whose source it rewrote`);
      if (!failed.has(origin)) out.push({ origin, record });
    }
    return out;
  }

  async close(): Promise<void> {
    for (const { processor } of this.steps) await processor.close?.();
  }
}
