/**
 * Merges the concurrent writes of a process's tasks into fewer produce requests. Each task has at most one write
 * outstanding per sink (the runtime orders a task's writes), so merging writes of different tasks never puts a
 * task's later records before its earlier ones. A write is sent at once while fewer than `maxInFlight` requests
 * are out (low latency at low load); otherwise it waits for one to finish and goes out with every write queued
 * meanwhile, up to `maxBatchBytes` per request (large requests under backlog). `lingerMs` > 0 also holds a
 * request back that long to let it fill.
 */
import type { OutgoingMessage } from "../core/kafka.ts";

export interface LingerOptions {
  /** Longest a write waits for others to join its request. @default 0 (only while requests are in flight) */
  lingerMs?: number;
  /** Produce requests of this sink out at once. @default 3 */
  maxInFlight?: number;
  /** A request closes at this many bytes of keys and values. @default 4 MiB */
  maxBatchBytes?: number;
}

interface Pending {
  messages: OutgoingMessage[];
  bytes: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** Sends one merged request of messages to the topic; resolves on the broker's acknowledgement. */
export type SendMessages = (messages: OutgoingMessage[]) => Promise<void>;

export class ProduceLinger {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly lingerMs: number;
  private readonly maxInFlight: number;
  private readonly maxBatchBytes: number;

  constructor(
    private readonly sendMessages: SendMessages,
    options: LingerOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? 0;
    this.maxInFlight = options.maxInFlight ?? 3;
    this.maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
  }

  /** Resolves once the broker acknowledged every message of this write (rejects if their request failed). */
  write(messages: OutgoingMessage[]): Promise<void> {
    let bytes = 0;
    for (const m of messages) bytes += sizeOf(m.value) + sizeOf(m.key);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, bytes, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    if (this.lingerMs > 0 && this.queuedBytes() < this.maxBatchBytes) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.sendNext();
      }, this.lingerMs);
      return;
    }
    this.sendNext();
  }

  private sendNext(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch: Pending[] = [];
      let bytes = 0;
      while (
        this.queue.length > 0 &&
        (batch.length === 0 || bytes + (this.queue[0] as Pending).bytes <= this.maxBatchBytes)
      ) {
        const next = this.queue.shift() as Pending;
        batch.push(next);
        bytes += next.bytes;
      }
      this.inFlight++;
      const messages = batch.length === 1 ? (batch[0] as Pending).messages : batch.flatMap((p) => p.messages);
      this.sendMessages(messages).then(
        () => this.settle(batch, undefined),
        (error: unknown) => this.settle(batch, error ?? new Error("send failed")),
      );
    }
  }

  private settle(batch: Pending[], error: unknown): void {
    this.inFlight--;
    for (const pending of batch) {
      if (error === undefined) pending.resolve();
      else pending.reject(error);
    }
    this.schedule();
  }

  private queuedBytes(): number {
    let total = 0;
    for (const p of this.queue) total += p.bytes;
    return total;
  }
}

function sizeOf(data: OutgoingMessage["value"] | OutgoingMessage["key"]): number {
  if (data === null || data === undefined) return 0;
  return typeof data === "string" ? data.length : data.length;
}
