/**
 * The state side of a running topology: at start it creates the missing changelog topics (compacted, with the
 * inputs' partition count) and connects the changelog producer and reader; then it opens a partition's stores
 * under `processing.stateDir` and restores them (metrics `sluice_state_*`, logs with progress).
 */
import { resolve } from "node:path";
import type { Logger } from "pino";
import type { KafkaAdmin, Producer } from "../../../core/kafka.ts";
import { metrics } from "../../../core/metrics.ts";
import type { StoreDeclaration } from "../../../processors/stores.ts";
import type { CompiledTopology } from "../../compiler.ts";
import { changelogTopic, storeDeclarations } from "../../stores.ts";
import { type KafkajsChangelogIo, kafkajsChangelogIo } from "../kafka/kafkajs-changelog.ts";
import type { KafkajsClient } from "../kafka/kafkajs-client.ts";
import { changelogSender } from "./changelog-io.ts";
import type { RestoreProgress } from "./restorer.ts";
import { TaskState } from "./task-state.ts";

export class StateSupplier {
  readonly declarations: StoreDeclaration[];
  private producer: Producer | undefined;
  private io: KafkajsChangelogIo | undefined;
  /** Per partition restoring now, each store's progress (what `/tasks` and `sluice status` show). */
  private readonly restoring = new Map<number, Map<string, RestoreProgress>>();

  constructor(
    private readonly topology: CompiledTopology,
    private readonly client: KafkajsClient,
  ) {
    this.declarations = storeDeclarations(topology.spec);
  }

  /** True when the topology keeps state (declared stores or stateful operators). */
  get stateful(): boolean {
    return this.declarations.length > 0;
  }

  /** Creates the changelog topics the stores need and connects; a stateless topology does nothing. */
  async start(admin: KafkaAdmin): Promise<void> {
    if (!this.stateful) return;
    const { spec } = this.topology;
    let partitions = 1;
    for (const source of spec.sources) {
      for (const topic of Array.isArray(source.topic) ? source.topic : [source.topic]) {
        partitions = Math.max(partitions, (await admin.topicOffsets(topic)).length);
      }
    }
    this.io = await kafkajsChangelogIo(this.client.kafka, spec.applicationId);
    const logged = this.declarations.filter((d) => d.changelog !== false);
    await this.io.admin.ensureCompactedTopics(
      logged.map((d) => ({ topic: changelogTopic(spec.applicationId, d.name), partitions })),
    );
    this.producer = this.client.producer();
    await this.producer.connect();
  }

  /** Opens partition `partition`'s stores and restores them from their changelogs. */
  async open(partition: number, logger: Logger): Promise<TaskState> {
    const io = this.io;
    const producer = this.producer;
    if (!io || !producer) throw new Error("state: open() before start()");
    const { spec } = this.topology;
    const topology = spec.applicationId;
    const log = logger.child({ partition });
    const started = performance.now();
    metrics.stateRestoring.set({ topology, partition: String(partition) }, 1);
    const counted = new Map<string, number>();
    const progress = new Map<string, RestoreProgress>();
    this.restoring.set(partition, progress);
    let loggedAt = 0;
    try {
      const state = await TaskState.open({
        applicationId: topology,
        taskId: `partition-${partition}`,
        partition,
        declarations: this.declarations,
        stateDir: resolve(spec.processing.stateDir),
        reader: io.reader,
        sender: changelogSender(producer),
        onProgress: ({ store, restored, total }) => {
          progress.set(store, { store, restored, total });
          const before = counted.get(store) ?? 0;
          if (restored > before) metrics.stateRestoredRecords.inc({ topology, store }, restored - before);
          counted.set(store, restored);
          const now = performance.now();
          if (total > 0 && (restored === 0 || restored === total || now - loggedAt >= 1000)) {
            loggedAt = now;
            log.info({ store, restored, total }, "restoring state");
          }
        },
      });
      const seconds = (performance.now() - started) / 1000;
      metrics.stateRestoreSeconds.observe({ topology }, seconds);
      log.info({ seconds: Number(seconds.toFixed(3)), checkpoint: state.checkpoint ?? null }, "state restored");
      return state;
    } finally {
      metrics.stateRestoring.set({ topology, partition: String(partition) }, 0);
      if (this.restoring.get(partition) === progress) this.restoring.delete(partition);
    }
  }

  /** The stores' restore progress of `partition` while it restores (stores not reached yet are absent). */
  restoreProgress(partition: number): RestoreProgress[] {
    return [...(this.restoring.get(partition)?.values() ?? [])];
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => {});
    await this.io?.close().catch(() => {});
  }
}
