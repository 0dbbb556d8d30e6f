/**
 * TopologyTestDriver: runs a compiled topology in-process with no broker, like Kafka Streams' test driver. Pipe
 * records into source topics, read what reached each sink, inspect dead letters, control time. Public API:
 * users test their topologies with it and every processor's unit tests use it.
 */
import type { Logger } from "pino";
import { PoisonRecordError } from "../core/errors.ts";
import { type Headers, type StateStore, StreamRecord } from "../processors/api.ts";
import { type CompiledTopology, compileTopology } from "./compiler.ts";
import { type ExecutionInput, type RejectedRecord, TopologyExecutor } from "./executor.ts";
import { rejectedRecord } from "./executor-invoke.ts";
import { MemoryMetrics } from "./processor-context.ts";
import type { EngineFactory } from "./runtime/state/engine.ts";
import { memoryEngines } from "./runtime/state/memory-engine.ts";
import { type ChangelogWrite, TaskStores } from "./runtime/state/task-stores.ts";
import { storeDeclarations } from "./stores.ts";
import { deadLetterRecord, decodeTestValue, sinkRecord } from "./test-driver-io.ts";

/** A record to pipe in. `value` is a decoded value, or bytes when the source's value format is json/string. */
export interface TestRecord {
  value: unknown;
  /** @default null */
  key?: string | Buffer | null;
  /** @default {} */
  headers?: Headers;
  /** @default the driver's current time */
  timestamp?: number;
  /** @default 0 */
  partition?: number;
}

/** How a `TopologyTestDriver` runs: its clock, paths, run id, logger and store engines. */
export interface TestDriverOptions {
  /** Start of the driver's clock, epoch milliseconds. @default Date.now() at creation */
  now?: number;
  /** Folder relative paths resolve against when a spec (not a compiled topology) is given. @default process.cwd() */
  baseDir?: string;
  /** @default "live" */
  runId?: string;
  /** @default a silent logger */
  logger?: Logger;
  /** Engines of the state stores. @default in memory */
  engines?: EngineFactory;
}

function isCompiled(input: unknown): input is CompiledTopology {
  return typeof input === "object" && input !== null && "order" in input && "nodes" in input;
}

/**
 * Runs a topology in-process with no broker: `pipeInput` records into source topics, read what reached each sink
 * (`readOutput`, `readValues`), inspect `deadLetters()`, move the clock with `advanceTime`. Build one with
 * `TopologyTestDriver.create(specOrCompiled)` and `close()` it after the test.
 */
export class TopologyTestDriver {
  private clock: number;
  private readonly executors = new Map<number, TopologyExecutor>();
  private readonly taskStores = new Map<number, TaskStores>();
  private readonly offsets = new Map<string, number>();
  private readonly outputs = new Map<string, StreamRecord[]>();
  private readonly letters: RejectedRecord[] = [];
  private readonly memoryMetrics = new MemoryMetrics();

  private constructor(
    readonly topology: CompiledTopology,
    private readonly options: TestDriverOptions,
  ) {
    this.clock = options.now ?? Date.now();
  }

  /** Compiles `topology` when given a spec, then returns a driver ready for input. */
  static async create(
    topology: CompiledTopology | object,
    options: TestDriverOptions = {},
  ): Promise<TopologyTestDriver> {
    const compiled = isCompiled(topology)
      ? topology
      : compileTopology(topology, options.baseDir ? { baseDir: options.baseDir } : {});
    const driver = new TopologyTestDriver(compiled, options);
    await driver.executor(0);
    return driver;
  }

  private async executor(partition: number): Promise<TopologyExecutor> {
    let executor = this.executors.get(partition);
    if (executor === undefined) {
      const taskId = `${[...this.topology.sourceByTopic.keys()][0] ?? this.topology.spec.applicationId}-${partition}`;
      const stores = new TaskStores(
        taskId,
        storeDeclarations(this.topology.spec),
        this.options.engines ?? memoryEngines,
        () => this.clock,
      );
      this.taskStores.set(partition, stores);
      executor = await TopologyExecutor.create(this.topology, {
        stores,
        taskId,
        partition,
        runId: this.options.runId ?? "live",
        now: () => this.clock,
        metrics: (name) => this.memoryMetrics.forProcessor(name),
        ...(this.options.logger ? { logger: this.options.logger } : {}),
      });
      this.executors.set(partition, executor);
    }
    return executor;
  }

  /** Pipes records into `topic`, runs them through the topology and captures outputs and dead letters. */
  async pipeInput(topic: string, records: TestRecord | readonly TestRecord[]): Promise<void> {
    const sourceName = this.topology.sourceByTopic.get(topic);
    if (sourceName === undefined) {
      throw new Error(
        `no source reads topic "${topic}" (topics: ${[...this.topology.sourceByTopic.keys()].join(", ")})`,
      );
    }
    const source = this.topology.nodes.get(sourceName)!;
    if (source.kind !== "source") throw new Error(`${sourceName} is not a source`);
    const byPartition = new Map<number, ExecutionInput[]>();
    for (const test of Array.isArray(records) ? records : [records as TestRecord]) {
      const partition = test.partition ?? 0;
      const offsetKey = `${topic}-${partition}`;
      const offset = this.offsets.get(offsetKey) ?? 0;
      this.offsets.set(offsetKey, offset + 1);
      const raw = new StreamRecord(test.key ?? null, test.value, test.headers ?? {}, test.timestamp ?? this.clock, {
        topic,
        partition,
        offset,
      });
      try {
        const record = decodeTestValue(raw, source.spec, source.outputSchema);
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), { source: sourceName, record }]);
      } catch (error) {
        if (!(error instanceof PoisonRecordError)) throw error;
        this.captureDeadLetter(rejectedRecord(raw, sourceName, error, 0));
      }
    }
    for (const [partition, inputs] of byPartition) {
      const outcomes = await (await this.executor(partition)).run(inputs);
      for (const outcome of outcomes) {
        for (const output of outcome.outputs) {
          const node = this.topology.nodes.get(output.sink)!;
          try {
            this.outputs.set(output.sink, [...(this.outputs.get(output.sink) ?? []), sinkRecord(output.record, node)]);
          } catch (error) {
            if (!(error instanceof PoisonRecordError)) throw error;
            this.captureDeadLetter(rejectedRecord(output.record, output.sink, error, output.outputIndex));
          }
        }
        for (const letter of outcome.deadLetters) this.captureDeadLetter(letter);
      }
    }
  }

  private captureDeadLetter(letter: RejectedRecord): void {
    this.letters.push(letter);
    const sink = this.topology.deadLetterSink;
    if (sink !== undefined) this.outputs.set(sink, [...(this.outputs.get(sink) ?? []), deadLetterRecord(letter)]);
  }

  /** Every record that reached sink `sink` so far, in order. */
  readOutput(sink: string): StreamRecord[] {
    const node = this.topology.nodes.get(sink);
    if (node?.kind !== "sink") throw new Error(`no sink named "${sink}"`);
    return [...(this.outputs.get(sink) ?? [])];
  }

  /** The values of `readOutput(sink)`. */
  readValues(sink: string): unknown[] {
    return this.readOutput(sink).map((record) => record.value);
  }

  /** Every record dead-lettered so far, with its reason, error class and processor. */
  deadLetters(): RejectedRecord[] {
    return [...this.letters];
  }

  /** Forgets captured outputs and dead letters (offsets and time go on). */
  clear(): void {
    this.outputs.clear();
    this.letters.length = 0;
  }

  /** Moves the clock `ctx.now()` reads forward. */
  advanceTime(ms: number): void {
    if (ms < 0) throw new RangeError("time only moves forward");
    this.clock += ms;
  }

  now(): number {
    return this.clock;
  }

  /** Counters processors reported, as `processor.name` → total. */
  metrics(): Record<string, number> {
    return this.memoryMetrics.counts();
  }

  /**
   * The state store `name` of partition `partition`'s task, as processors see it (reads see every committed
   * write; writing to it from a test bypasses the changelog).
   */
  store(name: string, partition = 0): StateStore {
    const stores = this.taskStores.get(partition);
    if (stores === undefined) throw new Error(`no task for partition ${partition} yet (pipe a record into it first)`);
    return stores.store(name);
  }

  /** The changes committed to every store of partition `partition` since the last call (its changelog records). */
  changelog(partition = 0): ChangelogWrite[] {
    return this.taskStores.get(partition)?.takeChangelog() ?? [];
  }

  /** Closes every processor instance and store. */
  async close(): Promise<void> {
    for (const executor of this.executors.values()) await executor.close();
    this.executors.clear();
    for (const stores of this.taskStores.values()) await stores.close();
    this.taskStores.clear();
  }
}
