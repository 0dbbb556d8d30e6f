/**
 * kafkajs 2.2.4's Produce request v3 (also the body of v4 and v5), byte for byte, without its per-partition
 * `map`/`filter`/`sort` of the timestamps and its object spread per record: at 50k records/s those were the
 * largest self time left in a passthrough's produce path. Installed by kafkajs-patches.ts; compared with
 * kafkajs's own source in test/unit/runtime/kafkajs-patches.test.ts.
 */

type Timestamp = number | string;
interface Message {
  key?: unknown;
  value?: unknown;
  headers?: unknown;
  timestamp?: Timestamp | null;
}
interface Encoded {
  size(): number;
}
interface Encoder extends Encoded {
  writeString(value: string | null): Encoder;
  writeInt16(value: number): Encoder;
  writeInt32(value: number): Encoder;
  writeArray(values: unknown[]): Encoder;
  writeEncoder(value: Encoded): Encoder;
}
export interface ProduceDeps {
  Long: { fromInt(value: number): unknown };
  Encoder: new () => Encoder;
  apiKey: number;
  compressionNone: number;
  Record: (fields: Record<string, unknown>) => unknown;
  RecordBatch: (fields: Record<string, unknown>) => Promise<Encoded>;
}
interface PartitionData {
  partition: number;
  messages: Message[];
  firstSequence?: number;
}
interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: TopicData[];
}

/**
 * The first and last timestamps in kafkajs's order: `Array.prototype.sort` without a comparator orders by
 * text, so the smallest and largest text win (the same as numeric order for same-length epoch milliseconds).
 */
function timestampRange(messages: Message[], now: number): [Timestamp, Timestamp] {
  let first: Timestamp | undefined;
  let last: Timestamp | undefined;
  let firstText = "";
  let lastText = "";
  for (const { timestamp } of messages) {
    if (timestamp === null || timestamp === undefined) continue;
    const text = String(timestamp);
    if (first === undefined || text < firstText) [first, firstText] = [timestamp, text];
    if (last === undefined || text >= lastText) [last, lastText] = [timestamp, text];
  }
  return first === undefined || last === undefined ? [now, now] : [first, last];
}

export function produceRequest(deps: ProduceDeps) {
  const { Long, Encoder, apiKey, compressionNone, Record, RecordBatch } = deps;

  async function encodePartition(
    { partition, messages, firstSequence }: PartitionData,
    compression: number,
    transactionalId: string | null,
    producerId: unknown,
    producerEpoch: number,
  ): Promise<Encoder> {
    const now = Date.now();
    const [firstTimestamp, maxTimestamp] = timestampRange(messages, now);
    const records = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as Message;
      records[i] = Record({
        key: message.key,
        value: message.value,
        headers: message.headers,
        offsetDelta: i,
        timestampDelta: ((message.timestamp || now) as number) - (firstTimestamp as number),
      });
    }
    const recordBatch = await RecordBatch({
      compression,
      records,
      firstTimestamp,
      maxTimestamp,
      producerId,
      producerEpoch,
      firstSequence,
      transactional: !!transactionalId,
      lastOffsetDelta: records.length - 1,
    });
    return new Encoder().writeInt32(partition).writeInt32(recordBatch.size()).writeEncoder(recordBatch);
  }

  return ({
    acks,
    timeout,
    transactionalId = null,
    producerId = Long.fromInt(-1),
    producerEpoch = 0,
    compression = compressionNone,
    topicData,
  }: ProduceArgs) => ({
    apiKey,
    apiVersion: 3,
    apiName: "Produce",
    expectResponse: () => acks !== 0,
    encode: async () => {
      const topics = [];
      for (const { topic, partitions } of topicData) {
        const encoded = [];
        for (const data of partitions) {
          encoded.push(await encodePartition(data, compression, transactionalId, producerId, producerEpoch));
        }
        topics.push(new Encoder().writeString(topic).writeArray(encoded));
      }
      return new Encoder().writeString(transactionalId).writeInt16(acks).writeInt32(timeout).writeArray(topics);
    },
  });
}
