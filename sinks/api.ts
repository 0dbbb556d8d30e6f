/**
 * The Sink contract: where records land. `write` resolves only when the data is durable (a Kafka ack, a
 * ClickHouse insert acknowledged); the runtime commits an input offset only after every output of that
 * input has been acknowledged this way.
 */
import type { StreamRecord } from "../processors/api.ts";

/**
 * Header the runtime stamps on every output: it numbers the outputs of one input, so (source topic, partition,
 * offset, output index, run id) is the idempotency key of a row.
 */
export const OUTPUT_INDEX_HEADER = "sluice-output-index";

/** Where records land: a sink node of a topology, built by its type's `defineSink` factory. */
export interface Sink {
  /** Name of the sink node in the topology. */
  readonly name: string;
  /** Connects and checks the destination exists; a missing table or topic fails here, before consuming. */
  start?(): Promise<void>;
  /**
   * Accepts a batch. Resolves when every record of it is durable; rejects with a `TransientError` when the
   * destination is unavailable (nothing of the batch may then be assumed written) or a `BatchError` naming
   * records the destination refused as bad data.
   */
  write(records: readonly StreamRecord[]): Promise<void>;
  /**
   * True when a task may call `write()` again before the previous write resolved: the destination's final
   * contents do not depend on the order writes land in (ClickHouse rows keyed by lineage). Writes to a sink
   * without it go one after the other per task, so a retry never puts a later chunk of a partition before an
   * earlier one (a Kafka topic). @default false
   */
  readonly unordered?: boolean;
  /** Writes out anything buffered; resolves when durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** True while the sink can accept writes (readiness and circuit-breaker state). */
  isHealthy?(): boolean;
}
