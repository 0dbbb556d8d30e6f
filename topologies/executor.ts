/**
 * The per-partition execution engine shared by the test driver and the Kafka runtime: runs a list of decoded
 * input records of one partition through the compiled DAG in offset order (micro-batching `processBatch`) and
 * returns, per input, every sink output and dead letter it produced, each with an output index, so the runtime
 * can commit offset o once all outputs of o are acknowledged.
 */
import type { Logger } from "pino";
import { silentLogger } from "../core/logger.ts";
import { TRACING, tracer } from "../core/tracing.ts";
import type { Processor, ProcessorMetrics, RecordSource, StreamRecord } from "../processors/api.ts";
import { agentDefinitions } from "./agents.ts";
import type { CompiledTopology } from "./compiler.ts";
import { type RejectedRecord, rejectedRecord, runProcessor } from "./executor-invoke.ts";
import { createProcessorContext } from "./processor-context.ts";
import type { TaskStores } from "./runtime/state/task-stores.ts";

export type { RejectedRecord } from "./executor-invoke.ts";

/** One decoded record entering the topology at source node `source`. */
export interface ExecutionInput {
  source: string;
  record: StreamRecord;
}

/** A record that reached a sink. `outputIndex` numbers the outputs and dead letters of one input from 0. */
export interface SinkOutput {
  sink: string;
  record: StreamRecord;
  outputIndex: number;
}

/** Everything one input produced; `input` is its lineage (topic, partition, offset). */
export interface InputOutcome {
  input: RecordSource;
  outputs: SinkOutput[];
  deadLetters: RejectedRecord[];
}

export interface ExecutorOptions {
  /** Partition of the task. @default 0 */
  partition?: number;
  /** @default `<first source topic>-<partition>` */
  taskId?: string;
  /** @default "live" */
  runId?: string;
  /** @default a silent logger */
  logger?: Logger;
  /** Clock for `ctx.now()`. @default Date.now */
  now?: () => number;
  /** Metrics per processor. @default counters are discarded */
  metrics?: (processor: string) => ProcessorMetrics;
  /**
   * The task's state stores: handed to processors as `ctx.store(name)`; a `run` call's writes are committed when
   * it succeeds and dropped when it throws (so a retried batch never applies a write twice). @default no stores
   */
  stores?: TaskStores;
  /** Called after each processor ran over its inbox of one `run` call: records in, wall time in ms. */
  onProcessed?: (processor: string, records: number, ms: number) => void;
}

/** An item in flight: a record and the index of the input it descends from. */
interface Item {
  record: StreamRecord;
  input: number;
}

const NO_METRICS: ProcessorMetrics = { count: () => {}, observe: () => {} };

/** Runs one task's processors. Create with `TopologyExecutor.create`; call `run` per batch of inputs. */
export class TopologyExecutor {
  private inboxes = new Map<string, Item[]>();
  private sinkItems: Array<{ sink: string; item: Item }> = [];

  private constructor(
    private readonly topology: CompiledTopology,
    private readonly processors: Map<string, Processor>,
    private readonly onProcessed?: ExecutorOptions["onProcessed"],
    private readonly stores?: TaskStores,
  ) {}

  /** Builds and initialises one instance of every processor. */
  static async create(topology: CompiledTopology, options: ExecutorOptions = {}): Promise<TopologyExecutor> {
    const processors = new Map<string, Processor>();
    const executor = new TopologyExecutor(topology, processors, options.onProcessed, options.stores);
    const partition = options.partition ?? 0;
    const firstTopic = [...topology.sourceByTopic.keys()][0] ?? topology.spec.applicationId;
    const logger = options.logger ?? silentLogger();
    const agents = agentDefinitions(topology.spec.agents);
    for (const name of topology.order) {
      const node = topology.nodes.get(name)!;
      if (node.kind !== "processor") continue;
      const processor = node.definition.create(node.config, {
        baseDir: topology.baseDir,
        agents,
        tools: topology.spec.tools,
        ...(node.inputSchema ? { inputSchema: node.inputSchema } : {}),
      });
      const context = createProcessorContext({
        applicationId: topology.spec.applicationId,
        runId: options.runId ?? "live",
        processorName: name,
        taskId: options.taskId ?? `${firstTopic}-${partition}`,
        partition,
        logger: logger.child({ processor: name }),
        metrics: options.metrics?.(name) ?? NO_METRICS,
        now: options.now ?? Date.now,
        children: node.children,
        forward: (record, child) => executor.route(name, record, child),
        ...(options.stores ? { stores: options.stores } : {}),
      });
      await processor.init?.(context);
      processors.set(name, processor);
    }
    return executor;
  }

  private staged: Item[] | undefined;
  private attribute: ((record: StreamRecord) => number) | undefined;
  private stagedTargets = new WeakMap<Item, string | undefined>();

  /** Called through `ctx.forward`: stages the record until its invocation succeeds. */
  private route(from: string, record: StreamRecord, child?: string): void {
    if (this.staged === undefined || this.attribute === undefined) {
      throw new Error(`${from} forwarded a record outside process/processBatch`);
    }
    const item = { record, input: this.attribute(record) };
    this.staged.push(item);
    this.stagedTargets.set(item, child);
  }

  private deliver(node: string, item: Item, child?: string): void {
    const targets = child === undefined ? this.topology.nodes.get(node)!.children : [child];
    for (const target of targets) {
      const targetNode = this.topology.nodes.get(target)!;
      if (targetNode.kind === "sink") this.sinkItems.push({ sink: target, item });
      else this.inboxes.get(target)?.push(item) ?? this.inboxes.set(target, [item]);
    }
  }

  /**
   * Runs `inputs` (one partition, offset order) to completion. A retriable error (TransientError) rejects the
   * whole call with nothing emitted, so the caller may retry the same inputs; poison records are dead-lettered.
   */
  async run(inputs: readonly ExecutionInput[]): Promise<InputOutcome[]> {
    if (this.stores === undefined) return this.runInputs(inputs);
    this.stores.begin();
    try {
      const outcomes = await this.runInputs(inputs);
      this.stores.commit();
      return outcomes;
    } catch (error) {
      this.stores.abort();
      throw error;
    }
  }

  private async runInputs(inputs: readonly ExecutionInput[]): Promise<InputOutcome[]> {
    this.inboxes = new Map();
    this.sinkItems = [];
    const outcomes: InputOutcome[] = inputs.map((i) => ({ input: i.record.source, outputs: [], deadLetters: [] }));
    const counters = inputs.map(() => 0);
    const byLineage = new Map(inputs.map((input, i) => [lineageKey(input.record.source), i]));
    inputs.forEach((input, i) => {
      if (!this.topology.nodes.has(input.source)) throw new Error(`no source node named "${input.source}"`);
      this.deliver(input.source, { record: input.record, input: i });
    });
    const batchSize = this.topology.spec.processing.batch.maxRecords;
    for (const name of this.topology.order) {
      const processor = this.processors.get(name);
      const inbox = this.inboxes.get(name);
      if (processor === undefined || inbox === undefined) continue;
      inbox.sort((a, b) => a.input - b.input);
      const started = performance.now();
      const span = TRACING
        ? tracer.startSpan(`${name} batch`, {
            attributes: { "sluice.processor": name, "sluice.records": inbox.length },
          })
        : undefined;
      await runProcessor(processor, inbox, batchSize, {
        begin: (single) => {
          this.staged = [];
          this.attribute = single
            ? () => single.input
            : (record) => {
                const index = byLineage.get(lineageKey(record.source));
                if (index === undefined) throw new Error(`${name} forwarded a record whose source it rewrote`);
                return index;
              };
        },
        end: (failedInputs) => {
          const staged = this.staged ?? [];
          this.staged = undefined;
          this.attribute = undefined;
          for (const item of staged) {
            if (!failedInputs.has(item.input)) this.deliver(name, item, this.stagedTargets.get(item));
          }
        },
        deadLetter: (item, error) => {
          const outcome = outcomes[item.input]!;
          outcome.deadLetters.push(rejectedRecord(item.record, name, error, counters[item.input]!++));
        },
      });
      span?.end();
      this.onProcessed?.(name, inbox.length, performance.now() - started);
    }
    this.sinkItems.sort((a, b) => a.item.input - b.item.input);
    for (const { sink, item } of this.sinkItems) {
      outcomes[item.input]!.outputs.push({ sink, record: item.record, outputIndex: counters[item.input]!++ });
    }
    return outcomes;
  }

  /** Closes every processor (children last), even when one fails. */
  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (const processor of this.processors.values()) {
      try {
        await processor.close?.();
      } catch (error) {
        errors.push(error);
      }
    }
    this.processors.clear();
    if (errors.length > 0) throw new AggregateError(errors, "closing processors failed");
  }
}

function lineageKey(source: RecordSource): string {
  return `${source.topic}\u0000${source.partition}\u0000${source.offset}`;
}
