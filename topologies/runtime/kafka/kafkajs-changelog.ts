/**
 * The changelog's Kafka surface (`../state/changelog-io.ts`) on kafkajs, in the adapter folder: compacted topic
 * creation, and the reader restoration uses. (The runtime sends changelog records through the Kafka port's
 * producers with `changelogSender`; the kafkajs sender here serves tools and tests.) The reader uses a throwaway
 * consumer group (kafkajs has no `assign()`): it seeks the one partition to the start offset, pauses any other
 * partition it is handed, and never commits.
 */
import { randomUUID } from "node:crypto";
import type { Admin, Kafka, ProducerRecord } from "kafkajs";
import type {
  ChangelogAdmin,
  ChangelogRecord,
  ChangelogSender,
  PartitionReader,
  ReadChangelogRecord,
} from "../state/changelog-io.ts";

/** Anything with kafkajs' `send`: a producer or a transaction. */
export interface KafkajsSend {
  send(record: ProducerRecord): Promise<unknown>;
}

export function kafkajsChangelogSender(target: KafkajsSend): ChangelogSender {
  return {
    async send(topic: string, partition: number, records: readonly ChangelogRecord[]) {
      if (records.length === 0) return;
      await target.send({
        topic,
        acks: -1,
        messages: records.map((r) => ({ partition, key: r.key, value: r.value })),
      });
    },
  };
}

export function kafkajsChangelogAdmin(admin: Admin): ChangelogAdmin {
  return {
    async ensureCompactedTopics(topics) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          configEntries: [{ name: "cleanup.policy", value: "compact" }],
        })),
      });
    },
  };
}

/** `fetchBytes`: the most bytes one fetch brings per partition (kafkajs' maxBytesPerPartition). @default 4 MiB */
export function kafkajsPartitionReader(
  kafka: Kafka,
  admin: Admin,
  groupPrefix: string,
  fetchBytes = 4 << 20,
): PartitionReader {
  return {
    async endOffset(topic, partition) {
      const existing = await admin.listTopics();
      if (!existing.includes(topic)) return 0;
      const offsets = await admin.fetchTopicOffsets(topic);
      const high = offsets.find((o) => o.partition === partition)?.high;
      return high === undefined ? 0 : Number(high);
    },
    async read(topic, partition, from, to, onBatch) {
      if (from >= to) return;
      const consumer = kafka.consumer({
        groupId: `${groupPrefix}.restore.${randomUUID()}`,
        maxBytesPerPartition: fetchBytes,
        maxBytes: Math.max(fetchBytes, 16 << 20),
      });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          let seeked = false;
          // The end is reached by offset, whatever the last record is: in exactly-once mode the changelog ends
          // with a transaction marker, which no batch hands over (kafkajs reports such batches only as events).
          const reached = (lastOffset: number) => {
            if (lastOffset >= to - 1) resolve();
          };
          consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
            if (payload.partition === partition) reached(Number(payload.lastOffset));
          });
          consumer
            .run({
              autoCommit: false,
              eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
                if (batch.partition !== partition) {
                  consumer.pause([{ topic, partitions: [batch.partition] }]);
                  return;
                }
                const records: ReadChangelogRecord[] = [];
                for (const m of batch.messages) {
                  const offset = Number(m.offset);
                  if (offset < from || offset >= to) continue;
                  records.push({ offset, key: m.key?.toString("utf8") ?? "", value: m.value });
                }
                if (records.length > 0) await onBatch(records);
                resolveOffset(batch.lastOffset());
                await heartbeat();
                reached(Number(batch.lastOffset()));
              },
            })
            .then(() => {
              if (!seeked) {
                consumer.seek({ topic, partition, offset: String(from) });
                seeked = true;
              }
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect().catch(() => {});
      }
    },
  };
}

/** The admin and the reader of a topology's changelogs on its kafkajs client; `close()` disconnects the admin. */
export interface KafkajsChangelogIo {
  admin: ChangelogAdmin;
  reader: PartitionReader;
  close(): Promise<void>;
}

export async function kafkajsChangelogIo(kafka: Kafka, groupPrefix: string): Promise<KafkajsChangelogIo> {
  const admin = kafka.admin();
  await admin.connect();
  return {
    admin: kafkajsChangelogAdmin(admin),
    reader: kafkajsPartitionReader(kafka, admin, groupPrefix),
    close: () => admin.disconnect(),
  };
}
