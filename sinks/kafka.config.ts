/**
 * Config of the Kafka sink (`type: kafka`): the topic and how keys and values are encoded. The sink class
 * lives in sinks/kafka.ts; this schema is what the topology spec composes.
 */
import { z } from "zod";
import { formatSpec } from "../schemas/format.config.ts";

export const kafkaSinkConfig = z.strictObject({
  /** Destination topic. */
  topic: z.string().min(1),
  /** Key encoding. @default {format: "string"} */
  key: formatSpec.default({ format: "string" }),
  /** Value encoding. */
  value: formatSpec,
  /** Field of the value whose text becomes the record key. @default the key the record already has */
  keyField: z.string().min(1).optional(),
});
export type KafkaSinkConfig = z.infer<typeof kafkaSinkConfig>;
