/**
 * A task owns one input partition: it decodes records in offset order, runs them through the processors in
 * micro-batches, hands outputs to sinks without waiting (so partitions and sinks overlap), and reports every
 * acknowledgement to the partition's commit tracker. It bounds what it holds in flight (records and bytes) and
 * blocks intake — pausing its partition — until acknowledgements drain it.
 */
import type { Logger } from "pino";
import { BatchError, SluiceError } from "../../core/errors.ts";
import type { ConsumedMessage } from "../../core/kafka.ts";
import type { StreamRecord } from "../../processors/api.ts";
import type { Serde } from "../../schemas/serde.ts";
import { OUTPUT_INDEX_HEADER, type Sink } from "../../sinks/api.ts";
import type { DeadLetterMessage } from "../../sinks/dead-letter.ts";
import type { InputOutcome, TopologyExecutor } from "../executor.ts";
import { PartitionCommitTracker } from "./commit-tracker.ts";
import { deadLetterMessage, decodeMessage, decodeMessageNow, lastHeader } from "./consumed-records.ts";
import type { DeadLetterSink } from "./dead-letter-fanout.ts";
import { DeliveryAbandoned, untilDelivered } from "./delivery.ts";
import { crashAfterAck } from "./fault-injection.ts";
import { taskStateMachine } from "./lifecycle.ts";
import type { TaskTransaction } from "./resources.ts";
import type { PartitionState } from "./state/partition-state.ts";
import { TaskStats } from "./task-stats.ts";
import { type ChunkOutputs, commitChunk } from "./task-transaction.ts";
import { continueTrace, TRACEPARENT, TRACING } from "./tracing.ts";

const DEAD_LETTERS = "\u0000dead-letters";
/** How long a batch waits for room in the in-flight window before it stops and its partition pauses. */
const CAPACITY_WAIT_MS = 200;

export interface TaskOptions {
  /** The topology's application id (metric label). */
  applicationId: string;
  topic: string;
  partition: number;
  keySerde: Serde;
  valueSerde: Serde;
  /** The source node the topic feeds. */
  sourceNode: string;
  /** This task's instances of the processors. */
  executor: TopologyExecutor;
  sinks: ReadonlyMap<string, Sink>;
  deadLetters: DeadLetterSink;
  logger: Logger;
  /** @default 10000 */
  maxInFlightRecords?: number;
  /** @default 64 MiB */
  maxInFlightBytes?: number;
  /**
   * Records taken from a fetched batch at a time: decoded, run through the processors (which micro-batch
   * `processBatch` calls themselves by `processing.batch.maxRecords`) and handed to sinks in one write per
   * sink. Larger chunks mean fewer, larger producer requests. @default 1000
   */
  chunkRecords?: number;
  /**
   * Exactly-once: each micro-batch's outputs, dead letters and consumed offset commit in one Kafka transaction
   * of this task's transactional producer. @default undefined (at-least-once with idempotent sinks)
   */
  transaction?: TaskTransaction & { groupId: string };
  /** Called on a failure that retrying cannot fix (a bug, a misconfigured sink): the application stops. */
  onFatal?(error: unknown): void;
  /** The group's committed offset of the partition when the task was created; never committed below. @default -1 */
  committedOffset?: number;
  /**
   * Stateful topologies: the partition's restored stores, the executor that reaches them (used instead of
   * `executor`) and the changelog gate, shared with the other source topics' tasks of the partition.
   */
  partitionState?: PartitionState;
}

/** What the consumer loop lends a task while it handles a batch. */
export interface BatchHooks {
  heartbeat(): Promise<void>;
  /** True when the batch must be abandoned (rebalance, shutdown). */
  shouldStop(): boolean;
}

export class Task {
  readonly id: string;
  readonly tracker: PartitionCommitTracker;
  readonly stats: TaskStats;
  readonly state;
  /** Records behind the end of the partition, as of the last lag update. */
  lag = 0;
  /** Why the task is paused, when it is. */
  pauseReason: string | undefined;
  private readonly abort = new AbortController();
  private readonly drained: (() => void)[] = [];
  private readonly log: Logger;
  private failure: unknown;
  /** Highest offset handed to this task. */
  private lastTaken = -1;
  /** The current batch's hooks (its heartbeat), for heartbeats while a failure is retried. */
  private hooks: BatchHooks | undefined;
  private heartbeats: NodeJS.Timeout | undefined;
  /** Called once the in-flight window has room again (see whenCapacity). */
  private readonly capacityWaiters: (() => void)[] = [];
  /** Per sink, the last write handed to it: the next write of this task waits for it. */
  private readonly sinkTails = new Map<string, Promise<void>>();
  /**
   * The changelog gate's acknowledgements: each may be the one that frees the in-flight window (a stateful chunk's
   * first offset is acknowledged last, after its changelog), so it wakes a partition paused for capacity.
   */
  private readonly changelogAcks = {
    addPending: (offset: number) => this.tracker.addPending(offset),
    ack: (offset: number) => {
      this.tracker.ack(offset);
      this.notifyDrain();
    },
  };
  /** Steps retrying a transient failure now (see retrying). */
  private failingSteps = 0;
  /** The batch being handled: the next waits for it. */
  private turn: Promise<void> = Promise.resolve();

  constructor(private readonly options: TaskOptions) {
    this.id = `${options.topic}-${options.partition}`;
    this.tracker = new PartitionCommitTracker(options.committedOffset ?? -1);
    this.stats = new TaskStats({ topology: options.applicationId, topic: options.topic, partition: options.partition });
    this.state = taskStateMachine(this.id);
    this.state.to("running");
    this.log = options.logger.child({ task: this.id, partition: options.partition });
  }

  get topic(): string {
    return this.options.topic;
  }

  get partition(): number {
    return this.options.partition;
  }

  /**
   * Handles consumed messages in offset order. Returns early, with nothing skipped silently, when told to stop;
   * resolves to "full" when it stopped because the in-flight window is full (the records after
   * `lastTakenOffset` were not taken: see whenCapacity).
   */
  handle(messages: readonly ConsumedMessage[], hooks: BatchHooks): Promise<"taken" | "full"> {
    // One batch at a time per task: after a rebalance that kept this partition, kafkajs may hand over a new
    // batch while the previous one is still being handled; interleaving them would break offset order.
    const turn = this.turn.then(() => this.handleInOrder(messages, hooks));
    this.turn = turn.then(
      () => {},
      () => {},
    );
    return turn;
  }

  private async handleInOrder(messages: readonly ConsumedMessage[], hooks: BatchHooks): Promise<"taken" | "full"> {
    const size = this.options.chunkRecords ?? 1000;
    this.hooks = hooks;
    let i = 0;
    while (i < messages.length) {
      if (hooks.shouldStop() || this.abort.signal.aborted) return "taken";
      // Full: the rest is fetched again once the sinks catch up (the caller pauses the partition). Waiting here
      // would hold the client's fetch loop, and with it every other partition of the same broker.
      if (!(await this.waitForCapacity())) return "full";
      if (hooks.shouldStop() || this.abort.signal.aborted) return "taken";
      // After a rebalance that kept this partition, the consumer refetches from the committed offset: records
      // this task already holds are in flight and will be acknowledged, so they are not taken twice.
      const chunk: ConsumedMessage[] = [];
      for (; i < messages.length && chunk.length < size; i++) {
        const message = messages[i] as ConsumedMessage;
        if (message.offset > this.lastTaken) chunk.push(message);
      }
      if (chunk.length === 0) continue;
      this.lastTaken = (chunk[chunk.length - 1] as ConsumedMessage).offset;
      await this.handleChunk(chunk);
      // kafkajs heartbeats only from the consumer loop: a long batch (slow AI stages) must heartbeat itself or
      // the coordinator evicts the member. kafkajs sends at most one per heartbeatInterval.
      await hooks.heartbeat().catch(() => {});
    }
    return "taken";
  }

  /** Everything below `nextOffset` was consumed (lets the watermark pass control records). */
  consumedUpTo(nextOffset: number): void {
    this.tracker.seenUpTo(nextOffset);
  }

  private async handleChunk(chunk: readonly ConsumedMessage[]): Promise<void> {
    const started = performance.now();
    const decoded: StreamRecord[] = [];
    const raw = new Map<number, ConsumedMessage>();
    const poison: DeadLetterMessage[] = [];
    for (const message of chunk) {
      const offset = message.offset;
      this.tracker.track(offset, (message.value?.length ?? 0) + (message.key?.length ?? 0));
      raw.set(offset, message);
      try {
        // At once when the serde needs no I/O (nearly always); else through the registry, retried.
        const record =
          decodeMessageNow(message, this.options) ??
          (await this.retrying(() => decodeMessage(message, this.options), "decoding"));
        decoded.push(record);
      } catch (error) {
        if (error instanceof DeliveryAbandoned) return;
        poison.push(this.deadLetter(message, error, "decode"));
      }
    }
    this.stats.countIn(chunk.length);
    const inputs = decoded.map((record) => ({ source: this.options.sourceNode, record }));
    const process = async (executor: TopologyExecutor) => {
      const outcomes = await this.retrying(() => executor.run(inputs), "processing");
      this.stats.observeLatency("process", performance.now() - started);
      return this.group(outcomes, raw, poison);
    };
    const state = this.options.partitionState;
    const first = (chunk[0] as ConsumedMessage).offset;
    try {
      if (this.options.transaction) {
        if (!state) return await this.deliverTransactionally(await process(this.options.executor), chunk);
        // The chunk and its transaction run alone among the partition's tasks: its store changes go in it.
        return await state.exclusive(async (executor) => {
          const outputs = await process(executor);
          const writes = state.state.stores.takeChangelog();
          await this.deliverTransactionally(outputs, chunk, { state: state.state, writes });
        });
      }
      if (!state) {
        this.dispatch(await process(this.options.executor));
        return;
      }
      await state.run(process, (outputs, changes) => {
        const deliveries = this.dispatch(outputs, false);
        // The chunk's store changes reach the changelog after its outputs, and hold its first offset till then.
        state.gate.afterRun(first, deliveries, this.changelogAcks, changes);
        this.seal(raw);
      });
    } catch (error) {
      if (error instanceof DeliveryAbandoned) return;
      throw error;
    }
  }

  /** The chunk's outputs per sink (with output index and trace headers) and its dead letters. */
  private group(
    outcomes: InputOutcome[],
    raw: Map<number, ConsumedMessage>,
    poison: DeadLetterMessage[],
  ): ChunkOutputs {
    const bySink = new Map<string, { records: StreamRecord[]; offsets: number[] }>();
    for (const outcome of outcomes) {
      const offset = outcome.input.offset;
      const message = raw.get(offset) as ConsumedMessage;
      const traceparent = TRACING
        ? continueTrace(lastHeader(message.headers?.[TRACEPARENT]), this.options.applicationId)
        : undefined;
      for (const letter of outcome.deadLetters) {
        poison.push(this.deadLetter(message, letter.error, letter.processor));
      }
      for (const output of outcome.outputs) {
        let group = bySink.get(output.sink);
        if (!group) {
          group = { records: [], offsets: [] };
          bySink.set(output.sink, group);
        }
        const record = output.record.withHeader(OUTPUT_INDEX_HEADER, String(output.outputIndex));
        group.records.push(traceparent ? record.withHeader(TRACEPARENT, traceparent) : record);
        group.offsets.push(offset);
      }
    }
    return { bySink, poison, raw };
  }

  /**
   * Hands the chunk's outputs and dead letters to their sinks without waiting and returns the deliveries;
   * `seal` (default) then marks the chunk's inputs complete, so the watermark may pass them once acknowledged.
   */
  private dispatch({ bySink, poison, raw }: ChunkOutputs, seal = true): Promise<void>[] {
    const deliveries: Promise<void>[] = [];
    for (const [sink, group] of bySink) {
      for (const offset of group.offsets) this.tracker.addPending(offset);
      // Writes of one task to one sink go one after the other (processing of the next chunk overlaps them): a
      // producer retry or two concurrent sends must never put a later chunk of the partition before an earlier one.
      // An unordered sink (ClickHouse, keyed by lineage) takes them at once: waiting for each chunk's INSERT
      // (its batch wait included) before the next one capped a partition at one chunk per INSERT round trip.
      if (this.options.sinks.get(sink)?.unordered) {
        deliveries.push(this.deliver(sink, group.records, group.offsets, raw).catch(() => {}));
        continue;
      }
      const previous = this.sinkTails.get(sink) ?? Promise.resolve();
      const next = previous.then(() => this.deliver(sink, group.records, group.offsets, raw));
      const settled = next.catch(() => {});
      this.sinkTails.set(sink, settled);
      deliveries.push(settled);
    }
    if (poison.length > 0) {
      for (const letter of poison) this.tracker.addPending(letter.source.offset);
      const previous = this.sinkTails.get(DEAD_LETTERS) ?? Promise.resolve();
      const settled = previous.then(() => this.deliverDeadLetters(poison)).catch(() => {});
      this.sinkTails.set(DEAD_LETTERS, settled);
      deliveries.push(settled);
    }
    if (seal) this.seal(raw);
    return deliveries;
  }

  private seal(raw: Map<number, ConsumedMessage>): void {
    for (const offset of raw.keys()) this.tracker.seal(offset);
    this.notifyDrain();
  }

  private async deliver(
    sinkName: string,
    records: StreamRecord[],
    offsets: number[],
    raw: Map<number, ConsumedMessage>,
  ) {
    const sink = this.options.sinks.get(sinkName);
    if (!sink) throw new SluiceError(`task ${this.id}: no sink named ${sinkName}`);
    const started = performance.now();
    try {
      await this.retrying(() => sink.write(records), `writing to ${sinkName}`);
      crashAfterAck(sinkName);
      for (const offset of offsets) this.tracker.ack(offset);
      this.stats.countOut(sinkName, records.length, performance.now() - started);
    } catch (error) {
      if (error instanceof DeliveryAbandoned) return;
      if (!(error instanceof BatchError)) return this.fail(error);
      // The sink refused some records as bad data: those go to the dead-letter topic, the rest are durable.
      // Each refused output's pending acknowledgement passes to its dead letter.
      const letters: DeadLetterMessage[] = [];
      offsets.forEach((offset, i) => {
        const failure = error.failures.get(i);
        if (failure) letters.push(this.deadLetter(raw.get(offset) as ConsumedMessage, failure, sinkName));
        else this.tracker.ack(offset);
      });
      await this.deliverDeadLetters(letters);
    }
    this.notifyDrain();
  }

  /** Exactly-once: the chunk's outputs, dead letters, store changes and offset in one transaction. */
  private async deliverTransactionally(
    outputs: ChunkOutputs,
    chunk: readonly ConsumedMessage[],
    changes?: Parameters<typeof commitChunk>[3],
  ): Promise<void> {
    const transaction = this.options.transaction as NonNullable<TaskOptions["transaction"]>;
    const next = (chunk[chunk.length - 1] as ConsumedMessage).offset + 1;
    const task = {
      taskId: this.id,
      topic: this.options.topic,
      partition: this.options.partition,
      transaction,
      deadLetter: (message: ConsumedMessage, error: unknown, processor: string) =>
        this.deadLetter(message, error, processor),
      retrying: <T>(step: () => Promise<T>, what: string) => this.retrying(step, what),
    };
    try {
      const letters = await commitChunk(task, outputs, next, changes);
      for (const letter of letters) this.stats.countDeadLettered(letter.processor);
    } catch (error) {
      if (error instanceof DeliveryAbandoned) return;
      this.log.error({ err: error }, "transaction failed: closing the task");
      this.close();
      return;
    }
    for (const [sinkName, group] of outputs.bySink) this.stats.countOut(sinkName, group.records.length);
    for (const offset of outputs.raw.keys()) this.tracker.seal(offset);
    this.tracker.seenUpTo(next);
    this.tracker.committed(next);
    this.notifyDrain();
  }

  private async deliverDeadLetters(letters: DeadLetterMessage[]): Promise<void> {
    try {
      await this.retrying(() => this.options.deadLetters.write(letters), "writing to the dead-letter topic");
      for (const letter of letters) this.tracker.ack(letter.source.offset);
      for (const letter of letters) this.stats.countDeadLettered(letter.processor);
      for (const letter of letters) {
        this.log.warn(
          { offset: letter.source.offset, processor: letter.processor, reason: letter.error.message },
          "dead-lettered",
        );
      }
    } catch (error) {
      if (!(error instanceof DeliveryAbandoned)) this.fail(error);
    }
    this.notifyDrain();
  }

  private deadLetter(message: ConsumedMessage, error: unknown, processor: string): DeadLetterMessage {
    return deadLetterMessage(message, error, processor, this.options);
  }

  private retrying<T>(step: () => Promise<T>, what: string): Promise<T> {
    // Several steps may retry at once (chunks to an unordered sink): the task stays paused, and keeps
    // heartbeating, until the last of them recovers.
    let failing = false;
    const recovered = () => {
      if (!failing) return;
      failing = false;
      if (--this.failingSteps > 0) return;
      this.keepAlive(false);
      this.log.info({ after: what }, "resumed");
      this.pauseReason = undefined;
      this.stats.setPaused(false);
    };
    return untilDelivered(
      step,
      {
        onFailure: (error, attempt) => {
          if (!failing) this.failingSteps++;
          failing = true;
          this.keepAlive(true);
          const reason = `${what}: ${error instanceof Error ? error.message : String(error)}`;
          if (this.pauseReason === undefined)
            this.log.warn({ reason, attempt }, "paused: retrying a transient failure");
          this.pauseReason = reason;
          this.stats.setPaused(true, reason);
        },
        onRecovered: recovered,
      },
      this.abort.signal,
    ).finally(recovered);
  }

  /**
   * While a transient failure is retried (registry, sink or tool down) the batch handler may be held for longer
   * than the session timeout: the member keeps heartbeating meanwhile, or the coordinator would evict it and
   * hand its partitions to a member that can do no better. kafkajs sends at most one per heartbeat interval.
   */
  private keepAlive(on: boolean): void {
    if (!on || this.state.is("closing", "closed")) {
      clearInterval(this.heartbeats);
      this.heartbeats = undefined;
      return;
    }
    this.heartbeats ??= setInterval(() => void this.hooks?.heartbeat().catch(() => {}), 1000);
    this.heartbeats.unref();
  }

  /** The in-flight window: records and bytes handed to the task and not yet acknowledged. */
  private get window(): { records: number; bytes: number } {
    return {
      records: this.options.maxInFlightRecords ?? 10_000,
      bytes: this.options.maxInFlightBytes ?? 64 * 1024 * 1024,
    };
  }

  private hasCapacity(): boolean {
    const { records, bytes } = this.window;
    return this.tracker.inFlightRecords < records && this.tracker.inFlightBytesTotal < bytes;
  }

  /** Waits briefly for room in the in-flight window; false when there is none (the batch stops there). */
  private async waitForCapacity(): Promise<boolean> {
    const deadline = Date.now() + CAPACITY_WAIT_MS;
    while (!this.hasCapacity()) {
      if (this.abort.signal.aborted || Date.now() >= deadline) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.drained.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** The offset of the last record the task took (-1 before the first). */
  get lastTakenOffset(): number {
    return this.lastTaken;
  }

  /**
   * Runs `resume` once the in-flight window has room again (half of it free), or the task closes. Sinks that do
   * not acknowledge (ClickHouse down, writes retrying) keep the partition paused meanwhile, and say so.
   */
  whenCapacity(resume: () => void): void {
    if (!this.stats.paused) {
      this.stats.setPaused(true, `backpressure: ${this.tracker.inFlightRecords} records awaiting sink acknowledgement`);
    }
    this.capacityWaiters.push(resume);
    this.notifyDrain();
  }

  private notifyDrain(): void {
    for (const resolve of this.drained.splice(0)) resolve();
    if (this.capacityWaiters.length === 0) return;
    const { records, bytes } = this.window;
    const roomy = this.tracker.inFlightRecords <= records / 2 && this.tracker.inFlightBytesTotal <= bytes / 2;
    if (!roomy && !this.state.is("closing", "closed")) return;
    if (this.stats.pauseReason.startsWith("backpressure")) this.stats.setPaused(false);
    for (const resume of this.capacityWaiters.splice(0)) resume();
  }

  /** Waits until every record handed to the task is acknowledged, or `timeoutMs` passes. True when drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.tracker.inFlightRecords > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.tracker.inFlightRecords === 0;
  }

  /** Stops retrying and abandons what is in flight (its offsets stay uncommitted, so it is redone elsewhere). */
  close(): void {
    if (this.state.is("closing", "closed")) return;
    this.state.to("closing");
    this.keepAlive(false);
    this.abort.abort();
    this.notifyDrain();
    this.state.to("closed");
  }

  /** Exactly-once: disconnects the task's transactional producer (aborting an open transaction). */
  async closeTransaction(): Promise<void> {
    await this.options.transaction?.producer.disconnect().catch(() => {});
  }

  /** A non-retriable failure of a sink: the application stops without committing past it. */
  private fail(error: unknown): void {
    this.failure = error;
    this.log.error({ err: error }, "task failed");
    this.options.onFatal?.(error);
  }

  get failed(): unknown {
    return this.failure;
  }
}
