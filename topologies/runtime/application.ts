/**
 * One `sluice run` process: a member of the consumer group named by the topology's application id. Kafka's
 * group protocol assigns partitions; each assigned partition gets a Task. Offsets are committed from the tasks'
 * watermarks on an interval, when a rebalance starts, and at shutdown — never past an unacknowledged output.
 */
import type { Consumer, EachBatchPayload } from "kafkajs";
import type { Logger } from "pino";
import type { CompiledTopology } from "../compiler.ts";
import { TopologyExecutor } from "../executor.ts";
import { applicationStateMachine } from "./lifecycle.ts";
import type { TopologyResources } from "./resources.ts";
import { Task } from "./task.ts";

export interface ApplicationOptions {
  topology: CompiledTopology;
  resources: TopologyResources;
  logger: Logger;
  /** `live`, or a replay's run id. @default "live" */
  runId?: string;
  /** @default the application id */
  groupId?: string;
  /** Replays: per `topic:partition`, the offset to stop before; the run ends when every partition reaches it. */
  endOffsets?: ReadonlyMap<string, number>;
  /** Called once every bounded partition reached its end offset. */
  onCaughtUp?(): void;
  /** Called with an error that stops the application (a sink that can never succeed, a crash of the consumer). */
  onFatal?(error: unknown): void;
}

export class Application {
  readonly state;
  readonly tasks = new Map<string, Task>();
  private consumer: Consumer | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly groupId: string;
  private readonly runId: string;
  private readonly executors = new Map<string, Promise<TopologyExecutor>>();
  private readonly finished = new Set<string>();

  constructor(private readonly options: ApplicationOptions) {
    const { spec } = options.topology;
    this.groupId = options.groupId ?? spec.applicationId;
    this.runId = options.runId ?? "live";
    this.state = applicationStateMachine(spec.applicationId);
  }

  get consumerGroup(): string {
    return this.groupId;
  }

  /** Starts sinks, joins the group and begins consuming. Resolves once consuming has started. */
  async start(): Promise<void> {
    const { topology, resources, logger } = this.options;
    const { spec } = topology;
    this.state.to("starting");
    await resources.start();
    const consumer = resources.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 1024 * 1024,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment));
    consumer.on(consumer.events.REBALANCING, () => {
      if (this.state.is("running")) this.state.to("rebalancing");
      void this.commit("rebalance");
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.options.onFatal?.(payload.error);
    });
    await consumer.connect();
    for (const source of spec.sources) {
      const topics = Array.isArray(source.topic) ? source.topic : [source.topic];
      await consumer.subscribe({ topics, fromBeginning: source.startFrom === "earliest" });
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.commitTimer = setInterval(() => void this.commit("interval"), spec.processing.commitIntervalMs);
    this.commitTimer.unref();
    logger.info({ group: this.groupId, runId: this.runId }, "consuming");
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    if (batch.isEmpty()) return;
    const task = await this.taskFor(batch.topic, batch.partition);
    const key = `${batch.topic}:${batch.partition}`;
    // A bounded run (replay) reads only partitions of its plan, each up to its end offset.
    const ends = this.options.endOffsets;
    const end = ends ? (ends.get(key) ?? 0) : undefined;
    const messages = end === undefined ? batch.messages : batch.messages.filter((m) => Number(m.offset) < end);
    let rebalancing = false;
    await task.handle(messages, {
      heartbeat: async () => {
        try {
          await heartbeat();
        } catch (error) {
          rebalancing = true;
          throw error;
        }
      },
      shouldStop: () => this.stopping || rebalancing || !isRunning() || isStale() || task.state.is("closed"),
    });
    if (this.stopping || rebalancing || !isRunning() || isStale() || task.state.is("closed")) return;
    const last = Number(batch.lastOffset());
    task.consumedUpTo(end === undefined ? last + 1 : Math.min(last + 1, end));
    resolveOffset(batch.lastOffset()); // advances the fetch position only: autoCommit is off
    if (end !== undefined && last + 1 >= end && ends?.has(key)) this.reachedEnd(key);
    if (this.state.is("rebalancing")) this.state.to("running");
  }

  private async taskFor(topic: string, partition: number): Promise<Task> {
    const id = `${topic}:${partition}`;
    const existing = this.tasks.get(id);
    if (existing && !existing.state.is("closed")) return existing;
    const { topology, resources, logger } = this.options;
    const serdes = resources.serdesByTopic.get(topic);
    if (!serdes) throw new Error(`no source reads topic ${topic}`);
    let executor = this.executors.get(id);
    if (!executor) {
      executor = TopologyExecutor.create(topology, {
        partition,
        taskId: `${topic}-${partition}`,
        runId: this.runId,
        logger,
      });
      this.executors.set(id, executor);
    }
    const { processing } = topology.spec;
    const transaction =
      processing.guarantee === "exactly_once"
        ? { ...(await resources.transactionalTask(topic, partition)), groupId: this.groupId }
        : undefined;
    const task = new Task({
      ...(transaction ? { transaction } : {}),
      topic,
      partition,
      keySerde: serdes.key,
      valueSerde: serdes.value,
      sourceNode: serdes.sourceNode,
      executor: await executor,
      sinks: resources.sinks,
      deadLetters: resources.deadLetters,
      logger,
      maxInFlightRecords: processing.maxInFlightRecords,
      maxInFlightBytes: processing.maxInFlightBytes,
      chunkRecords: Math.min(1000, processing.maxInFlightRecords),
      onFatal: (error) => this.options.onFatal?.(error),
    });
    this.tasks.set(id, task);
    if (this.state.is("starting", "rebalancing")) this.state.to("running");
    return task;
  }

  /** After a rebalance: tasks of partitions no longer ours are closed; their uncommitted work is redone elsewhere. */
  private onAssignment(assignment: Record<string, number[]>): void {
    const owned = new Set(Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
    for (const [id, task] of this.tasks) {
      if (owned.has(id)) continue;
      task.close();
      void task.closeTransaction();
      this.tasks.delete(id);
      const executor = this.executors.get(id);
      this.executors.delete(id);
      void executor?.then((e) => e.close()).catch(() => {});
    }
    this.options.logger.info({ partitions: [...owned] }, "partitions assigned");
    if (this.state.is("starting", "rebalancing")) this.state.to("running");
  }

  /** Records processed and in flight, over all tasks: for progress. */
  get recordsIn(): number {
    let total = 0;
    for (const task of this.tasks.values()) total += task.stats.recordsIn;
    return total;
  }

  private reachedEnd(key: string): void {
    if (this.finished.has(key)) return;
    this.finished.add(key);
    const ends = this.options.endOffsets;
    if (ends && [...ends.keys()].every((k) => this.finished.has(k))) this.options.onCaughtUp?.();
  }

  /** Commits every task's watermark that moved. Failures are logged; the next commit retries. */
  async commit(reason: string): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    const tasks: [Task, number][] = [];
    for (const task of this.tasks.values()) {
      const offset = task.tracker.toCommit();
      if (offset === undefined) continue;
      const [topic, partition] = [task.topic, task.partition];
      offsets.push({ topic, partition, offset: String(offset) });
      tasks.push([task, offset]);
    }
    if (offsets.length === 0) return;
    try {
      await consumer.commitOffsets(offsets);
      for (const [task, offset] of tasks) task.tracker.committed(offset);
      this.options.logger.debug({ reason, offsets }, "committed");
    } catch (error) {
      this.options.logger.warn({ reason, err: error }, "commit failed; will retry");
    }
  }

  /**
   * Graceful stop: stop fetching, drain in-flight records up to `drainTimeoutMs`, flush sinks, commit, leave
   * the group. Resolves true when everything drained.
   */
  async stop(drainTimeoutMs = 30_000): Promise<boolean> {
    if (this.stopping) return false;
    this.stopping = true;
    if (!this.state.is("created")) this.state.to("draining");
    clearInterval(this.commitTimer);
    const consumer = this.consumer;
    const assigned = [...this.tasks.values()].map((t) => ({ topic: t.topic, partitions: [t.partition] }));
    if (consumer && assigned.length > 0) consumer.pause(assigned);
    const drained = (await Promise.all([...this.tasks.values()].map((t) => t.drain(drainTimeoutMs)))).every(Boolean);
    await this.options.resources.flush().catch(() => {});
    await this.commit("shutdown");
    for (const task of this.tasks.values()) {
      task.close();
      await task.closeTransaction();
    }
    await consumer?.disconnect().catch(() => {});
    for (const executor of this.executors.values()) await (await executor).close().catch(() => {});
    await this.options.resources.close();
    this.state.to("stopped");
    return drained;
  }
}
