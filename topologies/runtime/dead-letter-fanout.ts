/**
 * Dead letters go to the dead-letter topic (original bytes, reason in headers) and, when the topology has
 * ClickHouse, to the `dead_letters` table too, so failures can be queried with SQL. A letter counts as
 * delivered only when both acknowledged it.
 */
import type { StreamRecord } from "../../processors/api.ts";
import { StreamRecord as Record_ } from "../../processors/api.ts";
import { OUTPUT_INDEX_HEADER, type Sink } from "../../sinks/api.ts";
import type { DeadLetterMessage, DeadLetterWriter } from "../../sinks/dead-letter.ts";

/** What tasks write dead letters through. */
export interface DeadLetterSink {
  write(letters: readonly DeadLetterMessage[]): Promise<void>;
}

function toRow(letter: DeadLetterMessage, applicationId: string): StreamRecord {
  const headers = Object.fromEntries(
    Object.entries(letter.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
  );
  const time = Number(letter.timestamp ?? Date.now());
  return new Record_(
    letter.key,
    {
      application_id: applicationId,
      processor: letter.processor,
      error_class: letter.error.name || letter.error.constructor.name,
      reason: letter.error.message,
      record_key: letter.key === null ? null : letter.key.toString("utf8"),
      raw_value: letter.value === null ? "" : letter.value.toString("base64"),
      headers: JSON.stringify(headers),
      record_time: time,
      failed_at: Date.now(),
    },
    { [OUTPUT_INDEX_HEADER]: "0" },
    time,
    letter.source,
  );
}

export class DeadLetterFanout implements DeadLetterSink {
  /** Batches the topic already acknowledged: a retry after a table failure does not duplicate them on the topic. */
  private readonly onTopic = new WeakSet<readonly DeadLetterMessage[]>();
  private readonly inTable = new WeakSet<readonly DeadLetterMessage[]>();

  constructor(
    private readonly kafka: DeadLetterWriter,
    private readonly table: Sink | undefined,
    private readonly applicationId: string,
  ) {}

  async write(letters: readonly DeadLetterMessage[]): Promise<void> {
    if (letters.length === 0) return;
    const topic = this.onTopic.has(letters)
      ? Promise.resolve()
      : this.kafka.write(letters).then(() => void this.onTopic.add(letters));
    const table =
      !this.table || this.inTable.has(letters)
        ? Promise.resolve()
        : this.table.write(letters.map((l) => toRow(l, this.applicationId))).then(() => void this.inTable.add(letters));
    await Promise.all([topic, table]);
  }
}
