/**
 * Two hot-path fixes to kafkajs 2.2.4 (no longer released upstream), put into the CommonJS module cache before
 * kafkajs loads its producer; this module must be imported before anything imports kafkajs (it is the first
 * import of the adapter, the CLI and index.ts). Found with `node --cpu-prof` on a count-by-key topology, where
 * each input record makes an output and a changelog record:
 * - src/producer/groupMessagesPerPartition.js groups a send's messages with `[...current, message]` in a
 *   reduce: quadratic in the messages per partition of one send (a changelog flush or a lingered sink batch
 *   holds thousands), 8% of CPU self time plus its garbage. Replaced by a linear grouping with the same result
 *   (the same partitioner calls, in order).
 * - src/protocol/encoder.js allocates a zero-filled 512-byte `Buffer.alloc` for every record it encodes (8% of
 *   CPU in `FastBuffer`, and garbage). The replacement takes its buffers from Node's pool (`allocUnsafe`): the
 *   encoder writes sequentially and hands out only `buf.slice(0, offset)`, so no unwritten byte is ever read.
 */
import { createRequire, Module } from "node:module";

type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;

function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: Partitioner;
}): Record<number, unknown[]> {
  if (partitionMetadata.length === 0) return {};
  const result: Record<number, unknown[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list === undefined) result[partition] = [message];
    else list.push(message);
  }
  return result;
}

const require = createRequire(import.meta.url);
const file = require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js");
if (require.cache[file] === undefined) {
  const linear = new Module(file);
  linear.filename = file;
  linear.loaded = true;
  linear.exports = groupMessagesPerPartition;
  require.cache[file] = linear;
}

interface EncoderLike {
  buf: Buffer;
  offset: number;
}
type EncoderClass = (new (initialSize?: number) => EncoderLike) & { nextPowerOfTwo(value: number): number };

const encoderFile = require.resolve("kafkajs/src/protocol/encoder.js");
let pooledEncoder: EncoderClass | undefined;
if (require.cache[encoderFile] === undefined) {
  const Encoder = require(encoderFile) as EncoderClass;
  pooledEncoder = class PooledEncoder extends Encoder {
    constructor(initialSize = 511) {
      super(0);
      this.buf = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(initialSize));
    }

    ensureAvailable(length: number): void {
      if (this.offset + length > this.buf.length) {
        const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
        this.buf.copy(grown, 0, 0, this.offset);
        this.buf = grown;
      }
    }
  };
  const loaded: Record<string, NodeJS.Module | undefined> = require.cache;
  const cached = loaded[encoderFile];
  if (cached) cached.exports = pooledEncoder;
}

/** True when kafkajs runs with both fixes (false if kafkajs was loaded before this module). */
export const kafkajsPatched = (): boolean =>
  require.cache[file]?.exports === groupMessagesPerPartition &&
  pooledEncoder !== undefined &&
  require.cache[encoderFile]?.exports === pooledEncoder;
