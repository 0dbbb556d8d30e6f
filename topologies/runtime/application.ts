/**
 * One `sluice run` process: a member of the consumer group named by the topology's application id. Kafka's
 * group protocol assigns partitions; each assigned partition gets a Task. Offsets are committed from the tasks'
 * watermarks on an interval, when a rebalance starts, and at shutdown — never past an unacknowledged output.
 */
import type { Logger } from "pino";
import type {
  BatchControl,
  ConsumedBatch,
  ConsumedMessage,
  GroupConsumer,
  KafkaAdmin,
  TopicPartition,
} from "../../core/kafka.ts";
import { partitionId } from "../../core/kafka.ts";
import { metrics, PROCESSOR_OBSERVATIONS } from "../../core/metrics.ts";
import type { ProcessorMetrics } from "../../processors/api.ts";
import { currentBackend } from "../../processors/tfjs-backend.ts";
import type { Sink } from "../../sinks/api.ts";
import type { CompiledTopology } from "../compiler.ts";
import { TopologyExecutor } from "../executor.ts";
import { type AuditFacts, auditFacts, writeAuditEvent } from "./audit.ts";
import { applicationStateMachine } from "./lifecycle.ts";
import { type MemberReport, memberReport } from "./member-report.ts";
import { GroupMembership } from "./membership.ts";
import { PipelineMetricsReporter } from "./metrics-reporter.ts";
import { type CommitOutcome, OffsetCommitter } from "./offset-committer.ts";
import { PartitionPauses } from "./partition-pauses.ts";
import { PreparedTransactions } from "./prepared-transactions.ts";
import { PunctuationTicker, topologyPunctuations } from "./punctuation-ticker.ts";
import type { TopologyResources } from "./resources.ts";
import type { PartitionState } from "./state/partition-state.ts";
import { PartitionStates } from "./state/partition-states.ts";
import type { TaskStores } from "./state/task-stores.ts";
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
  /** Added to the audit log's start event (a replay's tool modes). @default none */
  auditDetails?: Record<string, unknown>;
  /** This member's `/tasks` URL base, advertised in the group so `sluice status` can ask it. @default none */
  endpoint?: string;
}

export class Application {
  readonly state;
  readonly tasks = new Map<string, Task>();
  private consumer: GroupConsumer | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private admin: KafkaAdmin | undefined;
  /** With ClickHouse: pipeline_metrics rows per task per interval, and audit_log start/stop events. */
  private reporter: PipelineMetricsReporter | undefined;
  private operational: { metrics: Sink; audit: Sink; facts: AuditFacts } | undefined;
  private stopping = false;
  private readonly groupId: string;
  private readonly runId: string;
  private readonly executors = new Map<string, Promise<TopologyExecutor>>();
  private readonly finished = new Set<string>();
  private readonly membership: GroupMembership;
  private readonly committer: OffsetCommitter;
  /** Stateful topologies: each partition's restored stores and executor. */
  private readonly partitionStates: PartitionStates | undefined;
  /** Exactly-once with state: transactional producers made (fencing the previous owner) before a restore. */
  private readonly prepared: PreparedTransactions;
  /** Topic-partitions paused while their partition's state restores. */
  private readonly awaitingState = new Map<number, TopicPartition[]>();
  /** Why each partition is paused: it resumes when the last reason goes, and at an assignment if none is left. */
  private readonly pauses = new PartitionPauses(() => this.consumer);
  /** The latest assignment (what `/tasks` reports on). */
  private assignment: readonly TopicPartition[] = [];
  /** Wall-clock punctuation (approval expiry): ticks written to the owned partitions of the declared topics. */
  private readonly ticker: PunctuationTicker;

  constructor(private readonly options: ApplicationOptions) {
    const { spec } = options.topology;
    this.groupId = options.groupId ?? spec.applicationId;
    this.runId = options.runId ?? "live";
    this.state = applicationStateMachine(spec.applicationId);
    this.membership = new GroupMembership((topics) => this.fetchCommitted(topics), options.logger);
    this.committer = new OffsetCommitter({
      consumer: () => this.consumer,
      tasks: this.tasks,
      membership: this.membership,
      topology: options.topology.spec.applicationId,
      logger: options.logger,
    });
    this.prepared = new PreparedTransactions(options.resources);
    this.ticker = new PunctuationTicker({
      punctuations:
        options.runId === undefined || options.runId === "live" ? topologyPunctuations(options.topology) : [],
      producer: () => options.resources.client.producer(),
      serde: (topic) => options.resources.serdesByTopic.get(topic)?.value,
      logger: options.logger,
    });
    const supplier = options.resources.state;
    this.partitionStates = supplier.stateful
      ? new PartitionStates({
          supplier,
          logger: options.logger,
          executor: (partition, stores) => this.createExecutor(partition, `partition-${partition}`, stores),
          onError: (error) => options.onFatal?.(error),
          ...(options.topology.spec.processing.guarantee === "exactly_once"
            ? { beforeRestore: (partition: number) => this.prepared.prepare(partition) }
            : {}),
        })
      : undefined;
  }

  /** The group's committed offsets of `topics`, per `topic:partition` (-1 when none). */
  private async fetchCommitted(topics: string[]): Promise<Map<string, number>> {
    if (!this.admin) throw new Error("no admin client yet");
    return this.admin.groupOffsets(this.groupId, topics);
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
    if (spec.clickhouse) {
      const metricsSink = resources.clickhouseSink("pipeline-metrics", "pipeline_metrics", undefined, false);
      const audit = resources.clickhouseSink("audit-log", "audit_log", undefined, false);
      await metricsSink.start();
      await audit.start();
      this.operational = { metrics: metricsSink, audit, facts: await auditFacts(topology) };
      await writeAuditEvent(audit, "start", this.auditRun(this.options.auditDetails));
      this.reporter = new PipelineMetricsReporter({
        applicationId: spec.applicationId,
        runId: this.runId,
        sink: metricsSink,
        tasks: () => this.tasks.values(),
        logger,
      });
      this.reporter.start();
    }
    this.admin = resources.client.admin();
    await this.admin.connect();
    await resources.state.start(this.admin);
    const consumer = resources.client.consumer({
      groupId: this.groupId,
      sessionTimeoutMs: spec.processing.sessionTimeoutMs,
      heartbeatIntervalMs: Math.min(3_000, Math.floor(spec.processing.sessionTimeoutMs / 3)),
      fetch: spec.kafka.fetch,
      // The client restarts a crashed consumer by itself; never once shutdown began (it would rejoin the group).
      restartOnFailure: () => !this.stopping,
      copartitioned: resources.state.stateful,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
    });
    this.consumer = consumer;
    await consumer.connect();
    for (const source of spec.sources) {
      const topics = Array.isArray(source.topic) ? source.topic : [source.topic];
      await consumer.subscribe(topics, source.startFrom === "earliest");
    }
    await consumer.run({
      eachBatch: (batch, control) => this.eachBatch(batch, control),
      assigned: (memberId, partitions) => this.onAssignment(memberId, partitions),
      rebalancing: () => {
        if (this.state.is("running")) this.state.to("rebalancing");
        void this.commit("rebalance");
      },
      crashed: (error, restarting) => {
        if (!restarting) this.options.onFatal?.(error);
      },
    });
    this.commitTimer = setInterval(() => void this.commit("interval"), spec.processing.commitIntervalMs);
    this.commitTimer.unref();
    this.lagTimer = setInterval(() => {
      if (this.admin) this.updateLag(this.admin).catch(() => {});
    }, 5000);
    this.lagTimer.unref();
    await this.ticker.start();
    logger.info({ group: this.groupId, runId: this.runId }, "consuming");
  }

  private async eachBatch(batch: ConsumedBatch, control: BatchControl): Promise<void> {
    // Once the stop began, a partition assigned by a late rebalance gets no task: its records stay uncommitted.
    // A batch fetched before a rebalance took its partition away gets none either (nor a restore of its state).
    if (this.stopping || !this.pauses.owns(batch.topic, batch.partition)) return;
    let partitionState: PartitionState | undefined;
    if (this.partitionStates) {
      await this.membership.settled();
      partitionState = this.readyState(this.partitionStates, batch.topic, batch.partition);
      // Restoring: the partition is paused and fetched again from the same offset once its stores are ready.
      if (!partitionState) return;
    }
    const task = await this.taskFor(batch.topic, batch.partition, partitionState);
    const key = partitionId(batch.topic, batch.partition);
    // A bounded run (replay) reads only partitions of its plan, each up to its end offset.
    const ends = this.options.endOffsets;
    const end = ends ? (ends.get(key) ?? 0) : undefined;
    const messages = end === undefined ? batch.messages : batch.messages.filter((m) => m.offset < end);
    let rebalancing = false;
    const abandoned = () => this.stopping || rebalancing || !control.isCurrent() || task.state.is("closed");
    const taken = await task.handle(messages, {
      heartbeat: async () => {
        try {
          await control.heartbeat();
        } catch (error) {
          rebalancing = true;
          throw error;
        }
      },
      shouldStop: abandoned,
    });
    if (abandoned()) return;
    if (taken === "full") {
      this.pauseForCapacity(task, batch, messages, control, end);
      return;
    }
    const last = batch.lastOffset;
    task.consumedUpTo(end === undefined ? last + 1 : Math.min(last + 1, end));
    control.resolveOffset(last); // advances the fetch position only: commits come from the watermarks
    if (end !== undefined && last + 1 >= end && ends?.has(key)) this.reachedEnd(key);
    if (this.state.is("rebalancing")) this.state.to("running");
  }

  /**
   * The task's in-flight window is full (its sinks have not acknowledged enough): what it took is resolved, the
   * partition pauses, and it resumes, fetching from the first record not taken, once half the window is free.
   * Blocking in the batch handler instead would stall the client's fetches for every other partition too.
   */
  private pauseForCapacity(
    task: Task,
    batch: ConsumedBatch,
    messages: readonly ConsumedMessage[],
    control: BatchControl,
    end?: number,
  ): void {
    const taken = task.lastTakenOffset;
    const first = messages[0]?.offset ?? batch.lastOffset + 1;
    if (taken >= first) {
      task.consumedUpTo(end === undefined ? taken + 1 : Math.min(taken + 1, end));
      control.resolveOffset(taken);
    }
    const partition = { topic: batch.topic, partition: batch.partition };
    this.pauses.pause(partition, "capacity");
    task.whenCapacity(() => this.pauses.release(partition, "capacity"));
  }

  /**
   * The partition's state when restored; else starts restoring it in the background (other partitions go on)
   * and pauses this topic-partition until it is ready.
   */
  private readyState(states: PartitionStates, topic: string, partition: number): PartitionState | undefined {
    const ready = states.ready(partition);
    if (ready) return ready;
    const waiting = this.awaitingState.get(partition) ?? [];
    if (!waiting.some((tp) => tp.topic === topic)) waiting.push({ topic, partition });
    this.awaitingState.set(partition, waiting);
    this.pauses.pause({ topic, partition }, "state");
    states.restore(partition, () => this.releaseAwaitingState(partition));
    return undefined;
  }

  private createExecutor(partition: number, taskId: string, stores?: TaskStores): Promise<TopologyExecutor> {
    const { topology, logger } = this.options;
    const executor = TopologyExecutor.create(topology, {
      partition,
      taskId,
      runId: this.runId,
      logger,
      metrics: (processor) => this.processorMetrics(processor),
      onProcessed: (processor, records, ms) => {
        const labels = { topology: topology.spec.applicationId, processor };
        metrics.recordsProcessed.inc({ ...labels, partition: String(partition) }, records);
        metrics.processorLatency.observe(labels, ms / 1000);
      },
      ...(stores ? { stores } : {}),
    });
    void executor.then(() => {
      const backend = currentBackend();
      if (backend) metrics.inferenceBackend.set({ backend: backend.name }, 1);
    });
    return executor;
  }

  private async taskFor(topic: string, partition: number, partitionState?: PartitionState): Promise<Task> {
    const id = `${topic}:${partition}`;
    // A task is made only once the assignment is verified (a kept partition's stale state dropped first).
    await this.membership.settled();
    const existing = this.tasks.get(id);
    if (existing && !existing.state.is("closed")) return existing;
    const { topology, resources, logger } = this.options;
    const serdes = resources.serdesByTopic.get(topic);
    if (!serdes) throw new Error(`no source reads topic ${topic}`);
    let executor = partitionState ? Promise.resolve(partitionState.executor) : this.executors.get(id);
    if (!executor) {
      executor = this.createExecutor(partition, `${topic}-${partition}`);
      this.executors.set(id, executor);
    }
    const { processing } = topology.spec;
    const transaction =
      processing.guarantee === "exactly_once"
        ? { ...(await this.prepared.take(topic, partition)), groupId: this.groupId }
        : undefined;
    const task = new Task({
      applicationId: topology.spec.applicationId,
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
      committedOffset: this.membership.floor(id),
      ...(partitionState ? { partitionState } : {}),
    });
    this.tasks.set(id, task);
    if (this.state.is("starting", "rebalancing")) this.state.to("running");
    return task;
  }

  /**
   * After a rebalance: tasks of partitions no longer ours are closed (their uncommitted work is redone elsewhere),
   * and so is every task of a member that was evicted and rejoined, or whose partition another member committed
   * meanwhile: a task given a partition back starts afresh from the group's committed offset.
   */
  private onAssignment(memberId: string, assignment: readonly TopicPartition[]): void {
    this.assignment = assignment;
    this.pauses.assigned(assignment);
    const owned = new Set(assignment.map((p) => partitionId(p.topic, p.partition)));
    const held = new Map([...this.tasks].map(([id, task]) => [id, { committedOffset: task.tracker.committedOffset }]));
    const evicted = this.membership.assigned(memberId, owned, held, (id) => this.dropTask(id));
    if (this.partitionStates) {
      // State restored (or restoring) for a partition this member no longer owns, or owned before an eviction,
      // may miss another owner's writes: it is dropped.
      const partitions = new Set(assignment.map((p) => p.partition));
      for (const partition of this.partitionStates.partitionNumbers) {
        if (evicted || !partitions.has(partition)) this.dropPartitionState(partition);
      }
    }
    this.ticker.assigned(assignment);
    this.options.logger.info({ partitions: [...owned] }, "partitions assigned");
    if (this.state.is("starting", "rebalancing")) this.state.to("running");
  }

  private dropTask(id: string): void {
    const task = this.tasks.get(id);
    if (this.partitionStates) {
      // The partition's stores serve all its topics' tasks: state that may be stale goes with all of them, and
      // is restored whole (no checkpoint) when the partition comes back.
      const partition = task?.partition ?? Number(id.slice(id.lastIndexOf(":") + 1));
      for (const [other, t] of this.tasks) if (other !== id && t.partition === partition) this.closeTask(other, t);
      this.dropPartitionState(partition);
    }
    if (!task) return;
    this.closeTask(id, task);
  }

  /** The partition's topic-partitions paused for its restore resume (those still owned). */
  private releaseAwaitingState(partition: number): void {
    const paused = this.awaitingState.get(partition) ?? [];
    this.awaitingState.delete(partition);
    for (const tp of paused) this.pauses.release(tp, "state");
  }

  /** A partition's state, its wait for a restore and its prepared transactions, dropped (no checkpoint). */
  private dropPartitionState(partition: number): void {
    // A partition still owned fetches again, and its next batch restores the state afresh.
    this.releaseAwaitingState(partition);
    this.prepared.discard(partition);
    void this.partitionStates?.drop(partition);
  }

  private closeTask(id: string, task: Task): void {
    task.close();
    void task.closeTransaction();
    this.tasks.delete(id);
    const executor = this.executors.get(id);
    this.executors.delete(id);
    void executor?.then((e) => e.close()).catch(() => {});
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

  private auditRun(details?: Record<string, unknown>) {
    const facts = this.operational?.facts as AuditFacts;
    const applicationId = this.options.topology.spec.applicationId;
    return { applicationId, runId: this.runId, groupId: this.groupId, facts, ...(details ? { details } : {}) };
  }

  /** Why this member is not ready (empty when it is): not consuming, or a sink unhealthy (circuit open). */
  notReady(): string[] {
    const reasons: string[] = [];
    if (!this.state.is("running", "rebalancing")) reasons.push(`application is ${this.state.state}`);
    for (const sink of this.options.resources.sinks.values()) {
      if (sink.isHealthy?.() === false) reasons.push(`sink ${sink.name} is unhealthy`);
    }
    for (const partition of this.partitionStates?.restoring ?? []) {
      reasons.push(`partition ${partition}: restoring state stores from their changelogs`);
    }
    return reasons;
  }

  /** This member's tasks, for `/tasks` and `sluice status`. */
  report(): MemberReport {
    return memberReport({
      applicationId: this.options.topology.spec.applicationId,
      runId: this.runId,
      state: this.state.state,
      assignment: this.assignment,
      tasks: this.tasks,
      restoring: new Set(this.partitionStates?.restoring ?? []),
      restoreProgress: (partition) => this.options.resources.state.restoreProgress(partition),
    });
  }

  /** Maps a processor's own observations (`ctx.metrics.observe`) onto the metrics of its kind. */
  private processorMetrics(processor: string): ProcessorMetrics {
    const node = this.options.topology.nodes.get(processor);
    const type = node?.kind === "processor" ? node.definition.type : "";
    const topology = this.options.topology.spec.applicationId;
    return {
      count: () => {},
      observe: (name, value) => {
        const metric = PROCESSOR_OBSERVATIONS[`${type}:${name}`];
        if (metric === "lancedbQueryLatency" || metric === "inferenceLatency") {
          metrics[metric].observe({ topology, processor }, value / 1000);
        }
      },
    };
  }

  /** Consumer lag per assigned partition (end offset − committed), into the lag gauge. Returns the total. */
  async updateLag(admin: KafkaAdmin): Promise<number> {
    const topology = this.options.topology.spec.applicationId;
    let total = 0;
    const byTopic = new Map<string, Task[]>();
    for (const task of this.tasks.values()) byTopic.set(task.topic, [...(byTopic.get(task.topic) ?? []), task]);
    for (const [topic, tasks] of byTopic) {
      const ends = new Map((await admin.topicOffsets(topic)).map((o) => [o.partition, o.high]));
      for (const task of tasks) {
        const committed = Math.max(task.tracker.committedOffset, 0);
        const lag = Math.max(0, (ends.get(task.partition) ?? 0) - committed);
        task.lag = lag;
        metrics.consumerLag.set({ topology, topic, partition: String(task.partition) }, lag);
        total += lag;
      }
    }
    return total;
  }

  /** Commits every task's watermark that moved (see OffsetCommitter.commit). */
  commit(reason: string): Promise<CommitOutcome> {
    return this.committer.commit(reason);
  }

  /**
   * Graceful stop: stop fetching, drain in-flight records up to `drainTimeoutMs`, flush sinks, commit, leave
   * the group. Resolves true when everything drained.
   */
  async stop(drainTimeoutMs = 30_000): Promise<boolean> {
    if (this.stopping) return false;
    this.stopping = true;
    this.pauses.stop();
    if (!this.state.is("created")) this.state.to("draining");
    clearInterval(this.commitTimer);
    clearInterval(this.lagTimer);
    await this.ticker.stop();
    const consumer = this.consumer;
    const assigned = [...this.tasks.values()].map((t) => ({ topic: t.topic, partition: t.partition }));
    if (consumer && assigned.length > 0) consumer.pause(assigned);
    const log = this.options.logger;
    log.info({ tasks: this.tasks.size }, "stop: draining in-flight records");
    const drained = (await Promise.all([...this.tasks.values()].map((t) => t.drain(drainTimeoutMs)))).every(Boolean);
    log.info({ drained }, "stop: flushing sinks");
    await this.options.resources.flush().catch(() => {});
    log.info("stop: committing");
    await this.committer.commitFinal(Math.max(5_000, Math.min(drainTimeoutMs, 15_000)));
    for (const task of this.tasks.values()) {
      task.close();
      await task.closeTransaction();
    }
    // A drained stop leaves checkpoints, so a restart on this disk restores only the changelogs' tails.
    await this.partitionStates?.closeAll(drained);
    this.prepared.discard();
    log.info("stop: leaving the group");
    // Offsets are committed by now: a group leave that hangs (a coordinator mid-rebalance) must not hold the exit.
    const left = await Promise.race([
      (consumer?.disconnect() ?? Promise.resolve()).then(() => true).catch(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000).unref()),
    ]);
    if (!left)
      log.warn("stop: leaving the group timed out after 10 s; the session timeout will release the partitions");
    await this.admin?.disconnect().catch(() => {});
    log.info("stop: closing sinks");
    await this.reporter?.stop().catch(() => {});
    if (this.operational) {
      const { audit, metrics: metricsSink } = this.operational;
      const records = this.recordsIn;
      await writeAuditEvent(audit, "stop", this.auditRun({ drained, recordsIn: records }))
        .then(() => audit.flush())
        .catch((error: unknown) => this.options.logger.warn({ err: error }, "audit stop event not written"));
      await Promise.allSettled([audit.close(), metricsSink.close()]);
    }
    for (const executor of this.executors.values()) await (await executor).close().catch(() => {});
    await this.options.resources.close();
    this.state.to("stopped");
    return drained;
  }
}
