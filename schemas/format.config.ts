/**
 * How a topic's keys or values are encoded, as a topology declares it: shared by sources and Kafka sinks so
 * both read the same YAML (`{format: avro, subject | schema}`, `{format: json}`, `{format: string}`).
 */
import { z } from "zod";

export const avroFormatSpec = z.strictObject({
  format: z.literal("avro"),
  /** Registry subject of the schema. @default the Avro serde's choice (schemas/serde-factory.ts) */
  subject: z.string().min(1).optional(),
  /** Path of an `.avsc` file, relative to the topology file's folder. Lets validation check field references. */
  schema: z.string().min(1).optional(),
});

export const jsonFormatSpec = z.strictObject({ format: z.literal("json") });
export const stringFormatSpec = z.strictObject({ format: z.literal("string") });

/** A key or value encoding. */
export const formatSpec = z.discriminatedUnion("format", [avroFormatSpec, jsonFormatSpec, stringFormatSpec]);
export type FormatSpec = z.infer<typeof formatSpec>;
export type AvroFormatSpec = z.infer<typeof avroFormatSpec>;
