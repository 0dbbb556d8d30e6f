/**
 * Builds a Serde from the few words a topology says about a topic's format. The config type stays local and
 * small; the topology spec declares its own zod schema with the same shape.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import type { Schema } from "avsc";
import { ConfigError } from "../core/errors.ts";
import { AvroSerde } from "./avro-serde.ts";
import type { FormatSpec } from "./format.config.ts";
import { JsonSerde } from "./json-serde.ts";
import type { Serde } from "./serde.ts";
import { StringSerde } from "./string-serde.ts";

export type SerdeConfig =
  | {
      format: "avro";
      /** Subject of the writer schema. @default `<topic>-value` (`<topic>-key` for keys): TopicNameStrategy */
      subject?: string;
      /** `.avsc` file, relative to `baseDir`: reader schema for decoding, writer schema for encoding. */
      schemaFile?: string;
      /** Same as `schemaFile`: the spelling of `schemas/format.config.ts` (topology YAML). */
      schema?: string;
    }
  | { format: "json" }
  | { format: "string" };

export interface SerdeEnvironment {
  /** Registry base URL (Confluent API); required for Avro. */
  registryUrl?: string;
  /** Folder `schemaFile` paths resolve against. @default process.cwd() */
  baseDir?: string;
  /** A shared registry client, so serdes share one schema cache. @default each Avro serde has its own */
  registry?: SchemaRegistry;
  /** Register writer schemas on first use. @default true */
  autoRegister?: boolean;
  /** Whether the serde encodes keys or values (picks the default subject suffix). @default "value" */
  role?: "key" | "value";
}

/** A topology's `key:`/`value:` format (schemas/format.config.ts) as the factory takes it. */
export function serdeConfigOf(format: FormatSpec): SerdeConfig {
  if (format.format !== "avro") return format;
  return {
    format: "avro",
    ...(format.subject ? { subject: format.subject } : {}),
    ...(format.schema ? { schemaFile: format.schema } : {}),
  };
}

/** Builds the serde; a missing or invalid schema file fails here, before any record is read. */
export function createSerde(config: SerdeConfig, env: SerdeEnvironment = {}): Serde {
  switch (config.format) {
    case "json":
      return new JsonSerde();
    case "string":
      return new StringSerde();
    case "avro": {
      if (!env.registryUrl) throw new ConfigError("an Avro serde needs a schema registry URL");
      const file = config.schemaFile ?? config.schema;
      const schema = file ? loadSchemaFile(file, env.baseDir) : undefined;
      return new AvroSerde({
        registryUrl: env.registryUrl,
        ...(schema === undefined ? {} : { schema }),
        ...(config.subject === undefined ? {} : { subject: config.subject }),
        ...(env.registry === undefined ? {} : { registry: env.registry }),
        ...(env.autoRegister === undefined ? {} : { autoRegister: env.autoRegister }),
        isKey: env.role === "key",
      });
    }
    default:
      throw new ConfigError(`unknown serde format ${JSON.stringify((config as { format: unknown }).format)}`);
  }
}

/** Reads and parses an `.avsc` file, naming the file in any error. */
export function loadSchemaFile(file: string, baseDir = process.cwd()): Schema {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError([{ file: path, message: `cannot read schema file: ${(error as Error).message}` }]);
  }
  try {
    return JSON.parse(text) as Schema;
  } catch (error) {
    throw new ConfigError([{ file: path, message: `schema file is not JSON: ${(error as Error).message}` }]);
  }
}
