/**
 * Wall-clock punctuation as records: for every processor that declares `punctuation` (processors/define.ts), this
 * member writes a `tick` event to each partition it owns of the named topic, every `intervalMs`. The tick is then
 * consumed like any input, so what a processor does on it (expire held approvals) takes the one path records
 * take: store writes to the changelog, outputs acknowledged, then the tick's offset committed, or all of it in
 * the task's transaction under exactly-once. Kafka Streams runs wall-clock punctuators inside the stream thread
 * and commits their effects with the task; this gets the same guarantee without a second commit path.
 */
import type { Logger } from "pino";
import type { Producer, TopicPartition } from "../../core/kafka.ts";
import type { Serde } from "../../schemas/serde.ts";
import type { CompiledTopology } from "../compiler.ts";

/** Header every tick carries. */
export const TICK_HEADER = "sluice-tick";

export interface Punctuation {
  topic: string;
  intervalMs: number;
}

/** The punctuations a topology's processors declare, one per topic (the shortest interval wins). */
export function topologyPunctuations(topology: CompiledTopology): Punctuation[] {
  const byTopic = new Map<string, number>();
  for (const node of topology.nodes.values()) {
    if (node.kind !== "processor" || node.definition.punctuation === undefined) continue;
    for (const p of node.definition.punctuation(node.config as never)) {
      byTopic.set(p.topic, Math.min(byTopic.get(p.topic) ?? Number.POSITIVE_INFINITY, p.intervalMs));
    }
  }
  return [...byTopic].map(([topic, intervalMs]) => ({ topic, intervalMs }));
}

export interface TickerOptions {
  punctuations: readonly Punctuation[];
  producer: () => Producer;
  /** The value serde of the source reading `topic`. */
  serde: (topic: string) => Serde | undefined;
  logger: Logger;
}

export class PunctuationTicker {
  private readonly timers: NodeJS.Timeout[] = [];
  private owned: TopicPartition[] = [];
  private producer: Producer | undefined;
  private warned = false;

  constructor(private readonly options: TickerOptions) {}

  get active(): boolean {
    return this.options.punctuations.length > 0;
  }

  async start(): Promise<void> {
    if (!this.active) return;
    this.producer = this.options.producer();
    await this.producer.connect();
    for (const p of this.options.punctuations) {
      const timer = setInterval(() => void this.tick(p.topic), p.intervalMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** The partitions this member owns now (from the group's assignment). */
  assigned(partitions: readonly TopicPartition[]): void {
    this.owned = [...partitions];
  }

  private async tick(topic: string): Promise<void> {
    const partitions = this.owned.filter((p) => p.topic === topic).map((p) => p.partition);
    const serde = this.options.serde(topic);
    if (partitions.length === 0 || !this.producer || !serde) return;
    try {
      const now = Date.now();
      const value = await serde.serialize(topic, {
        request_id: "",
        verdict: "tick",
        approver: "sluice",
        reason: "",
        decided_at: now,
      });
      await this.producer.send(
        topic,
        partitions.map((partition) => ({
          key: null,
          value,
          partition,
          timestamp: now,
          headers: { [TICK_HEADER]: "1" },
        })),
      );
      this.warned = false;
    } catch (error) {
      // A missed tick only delays expiry until the next one (or the next record of the partition).
      if (!this.warned)
        this.options.logger.warn({ err: error, topic }, "punctuation tick not written; retrying on the next");
      this.warned = true;
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    await this.producer?.disconnect().catch(() => {});
  }
}
