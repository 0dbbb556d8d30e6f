/**
 * Avro in the Confluent wire format. Decoding resolves each writer schema (by registry id) into the topology's
 * reader schema once and caches it; encoding registers the writer schema once and then only runs avsc, so the
 * registry is asked once per schema id, never per record. Failures are classified: poison vs transient.
 */
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import avsc, { type Schema, type Type } from "avsc";
import { ConfigError, PoisonRecordError, TransientError } from "../core/errors.ts";
import { registryMessage, registryRequest, schemaText, subjectPath } from "./registry-http.ts";
import type { Deserialized, Serde } from "./serde.ts";
import { describePosition, parseWireHeader, type RecordPosition, WireFormatError, wireHeader } from "./wire-format.ts";

/** An Avro schema as parsed JSON (from an `.avsc` file or a literal). */
export type AvroSchemaDefinition = Schema | Record<string, unknown>;

type RegistryArgs = ConstructorParameters<typeof SchemaRegistry>[0];
type Middleware = NonNullable<RegistryArgs["middlewares"]>[number];

export interface AvroSerdeOptions {
  /** Base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:18081/apis/ccompat/v7` for Apicurio. */
  registryUrl: string;
  /**
   * The topology's schema: the reader schema for decoding (records written with an older compatible schema are
   * resolved into it) and the writer schema for encoding. Without it values decode with their writer's schema
   * and `serialize` is refused. @default undefined
   */
  schema?: AvroSchemaDefinition;
  /** Subject the writer schema is registered under. @default `<topic>-value` (`<topic>-key` when `isKey`) */
  subject?: string;
  /** This serde encodes keys: the default subject is `<topic>-key`. @default false */
  isKey?: boolean;
  /** Register the writer schema on first encode; when false it must already be registered. @default true */
  autoRegister?: boolean;
  /** Milliseconds before a registry call counts as not answering (→ `TransientError`). @default 5000 */
  timeoutMs?: number;
  /** Retries the registry client makes itself before reporting; the runtime retries after that. @default 1 */
  clientRetries?: number;
  /** Share one registry client (and its schema cache) between serdes. @default a client of its own */
  registry?: SchemaRegistry;
}

/** A registered writer schema: its id and the 5 header bytes every encoded value starts with. */
interface Writer {
  id: number;
  header: Buffer;
}

/** Decodes the Avro body of one writer schema into the reader's shape. */
type BodyDecoder = (body: Buffer) => unknown;

/** Options of {@link createRegistryClient}. */
export interface RegistryClientOptions {
  /**
   * Milliseconds one HTTP call may take. A hung registry (SIGSTOP, a black-holed network) would otherwise hold a
   * decode for ever: mappersmith sets no timeout of its own. @default 5000
   */
  timeoutMs?: number;
  /** Retries the client makes itself before reporting (the runtime retries after that, pausing). @default 1 */
  retries?: number;
  /** Basic auth of the registry. @default none */
  auth?: { username: string; password: string };
}

/** A registry client whose HTTP calls time out: a stopped registry otherwise hangs a decode for ever. */
export function createRegistryClient(registryUrl: string, options: RegistryClientOptions = {}) {
  const timeout = options.timeoutMs ?? 5000;
  const timeoutMiddleware: Middleware = () => ({
    prepareRequest: async (next) => {
      const request = await next();
      return request.timeout() ? request : request.enhance({ timeout });
    },
  });
  return new SchemaRegistry({
    host: registryUrl.replace(/\/+$/, ""),
    retry: { retries: options.retries ?? 1, initialRetryTimeInSecs: 0.1, maxRetryTimeInSecs: 1 },
    ...(options.auth ? { auth: options.auth } : {}),
    middlewares: [timeoutMiddleware],
  });
}

export class AvroSerde<T = unknown> implements Serde<T> {
  readonly format = "avro" as const;
  /** The registry client (shared schema cache); exposed for tools and benchmarks. */
  readonly registry: SchemaRegistry;
  private readonly readerType: Type | undefined;
  private readonly decoders = new Map<number, BodyDecoder>();
  private readonly pendingDecoders = new Map<number, Promise<BodyDecoder>>();
  private readonly writers = new Map<string, Writer>();
  private readonly pendingWriters = new Map<string, Promise<Writer>>();
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(private readonly options: AvroSerdeOptions) {
    try {
      this.readerType = options.schema === undefined ? undefined : avsc.Type.forSchema(options.schema as Schema);
    } catch (error) {
      throw new ConfigError(`invalid Avro schema: ${(error as Error).message}`, { cause: error });
    }
    this.registry =
      options.registry ??
      createRegistryClient(options.registryUrl, {
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.clientRetries === undefined ? {} : { retries: options.clientRetries }),
      });
  }

  /** Decodes one value. `at` (partition, offset) only improves error messages. */
  async deserialize(topic: string, data: Buffer, at?: RecordPosition): Promise<Deserialized<T>> {
    const schemaId = this.schemaIdOf(topic, data, at);
    const decode = this.decoders.get(schemaId) ?? (await this.loadDecoder(schemaId, topic, at));
    return this.decodeBody(decode, schemaId, topic, data, at);
  }

  /** `deserialize` at once when the writer schema's decoder is built; `undefined` when it must be fetched. */
  deserializeNow(topic: string, data: Buffer, at?: RecordPosition): Deserialized<T> | undefined {
    const schemaId = this.schemaIdOf(topic, data, at);
    const decode = this.decoders.get(schemaId);
    return decode ? this.decodeBody(decode, schemaId, topic, data, at) : undefined;
  }

  /** Encodes one value; a value that does not fit the schema is poison naming the offending field. */
  async serialize(topic: string, value: T): Promise<Buffer> {
    const type = this.encodingType(topic);
    const subject = this.subjectFor(topic);
    return this.encodeWith(type, this.writers.get(subject) ?? (await this.loadWriter(subject)), topic, value);
  }

  /** `serialize` at once when the writer schema is registered; `undefined` when it must be registered first. */
  serializeNow(topic: string, value: T): Buffer | undefined {
    const type = this.encodingType(topic);
    const writer = this.writers.get(this.subjectFor(topic));
    return writer ? this.encodeWith(type, writer, topic, value) : undefined;
  }

  private schemaIdOf(topic: string, data: Buffer, at: RecordPosition | undefined): number {
    try {
      return parseWireHeader(data).schemaId;
    } catch (error) {
      if (error instanceof WireFormatError) throw this.poison("decoding", topic, at, error.message, error);
      throw error;
    }
  }

  private decodeBody(decode: BodyDecoder, schemaId: number, topic: string, data: Buffer, at?: RecordPosition) {
    try {
      return { value: decode(data.subarray(5)) as T, writerSchemaId: schemaId };
    } catch (error) {
      throw this.poison("decoding", topic, at, `undecodable body for schema id ${schemaId}: ${msg(error)}`, error);
    }
  }

  private encodingType(topic: string): Type {
    const type = this.readerType;
    if (!type) throw new ConfigError(`Avro serde for ${topic} has no schema: it can decode but not encode`);
    return type;
  }

  private encodeWith(type: Type, writer: Writer, topic: string, value: T): Buffer {
    try {
      return this.encodeFramed(type, writer.header, value);
    } catch (error) {
      throw this.poison("encoding", topic, undefined, invalidFields(type, value) || msg(error), error);
    }
  }

  /** Header and body written into one scratch buffer, then copied out once (toBuffer + concat copies twice). */
  private encodeFramed(type: Type, header: Buffer, value: unknown): Buffer {
    header.copy(this.scratch, 0);
    let end = type.encode(value, this.scratch, header.length);
    if (end < 0) {
      this.scratch = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.scratch.length - end + 1024));
      header.copy(this.scratch, 0);
      end = type.encode(value, this.scratch, header.length);
    }
    return Buffer.from(this.scratch.subarray(0, end));
  }

  /** The writer schema's registry id for a topic (registering it when allowed); cached after the first success. */
  async writerSchemaId(topic: string): Promise<number> {
    const subject = this.subjectFor(topic);
    return (this.writers.get(subject) ?? (await this.loadWriter(subject))).id;
  }

  /** The subject encoding to `topic` registers under. */
  subjectFor(topic: string): string {
    return this.options.subject ?? `${topic}-${this.options.isKey ? "key" : "value"}`;
  }

  private loadWriter(subject: string): Promise<Writer> {
    let pending = this.pendingWriters.get(subject);
    if (!pending) {
      // a failure is not cached: the next record asks again
      pending = this.registerWriter(subject).finally(() => this.pendingWriters.delete(subject));
      this.pendingWriters.set(subject, pending);
    }
    return pending;
  }

  private async registerWriter(subject: string): Promise<Writer> {
    const register = this.options.autoRegister ?? true;
    const path = register ? `${subjectPath(subject)}/versions` : subjectPath(subject);
    const { status, body } = await registryRequest<{ id?: number }>(
      this.options.registryUrl,
      path,
      { method: "POST", body: { schema: schemaText(this.options.schema) } },
      { timeoutMs: this.options.timeoutMs ?? 5000 },
    );
    if (status === 200 && typeof body?.id === "number") {
      const writer = { id: body.id, header: wireHeader(body.id) };
      this.writers.set(subject, writer);
      return writer;
    }
    const verb = register ? "registering" : "looking up";
    const hint = !register && status === 404 ? " (run `sluice schemas register`)" : "";
    throw new ConfigError(`${verb} schema under subject ${subject}: ${status} ${registryMessage(body)}${hint}`);
  }

  private loadDecoder(schemaId: number, topic: string, at?: RecordPosition): Promise<BodyDecoder> {
    let pending = this.pendingDecoders.get(schemaId);
    if (!pending) {
      pending = this.buildDecoder(schemaId).finally(() => this.pendingDecoders.delete(schemaId));
      this.pendingDecoders.set(schemaId, pending);
    }
    return pending.catch(async (error: unknown) => {
      throw await this.classifyLookup(error, schemaId, topic, at);
    });
  }

  private async buildDecoder(schemaId: number): Promise<BodyDecoder> {
    const writerType = (await this.registry.getSchema(schemaId)) as unknown as Type;
    if (typeof writerType.createResolver !== "function") throw new Error(`schema id ${schemaId} is not Avro`);
    const reader = this.readerType;
    let decode: BodyDecoder;
    if (!reader || reader.equals(writerType)) {
      const type = reader ?? writerType;
      decode = (body) => type.fromBuffer(body);
    } else {
      let resolver: ReturnType<Type["createResolver"]>;
      try {
        resolver = reader.createResolver(writerType);
      } catch (error) {
        throw new Error(`writer schema id ${schemaId} cannot be read as ${reader.name}: ${msg(error)}`);
      }
      decode = (body) => reader.fromBuffer(body, resolver);
    }
    this.decoders.set(schemaId, decode);
    return decode;
  }

  /**
   * The registry's Confluent "schema not found" (404, error code 40403) → poison: the id will never exist. A 404
   * without that code means the URL is not a Confluent API (a wrong path would otherwise dead-letter every
   * record) → ConfigError. No answer, timeout, 5xx → transient. A schema avsc refuses → poison.
   */
  private async classifyLookup(error: unknown, schemaId: number, topic: string, at?: RecordPosition): Promise<Error> {
    const status = (error as { status?: unknown }).status;
    if (status === 404) {
      const timeoutMs = this.options.timeoutMs ?? 5000;
      const check = await registryRequest<{ error_code?: number }>(
        this.options.registryUrl,
        `/schemas/ids/${schemaId}`,
        {},
        { timeoutMs },
      ).catch((e: unknown) => e as Error);
      if (check instanceof Error) return check;
      if (check.status === 404 && check.body?.error_code === 40403) {
        return this.poison("decoding", topic, at, `unknown schema id ${schemaId}`, error);
      }
      return new ConfigError(
        `decoding ${describePosition(topic, at)}: ${this.options.registryUrl} answered ${check.status} for schema id ${schemaId} without the Confluent error code 40403: is it the Confluent-compatible API (Apicurio: /apis/ccompat/v7)?`,
        { cause: error },
      );
    }
    if (typeof status === "number") {
      const where = describePosition(topic, at);
      return new TransientError(`decoding ${where}: schema registry did not answer for id ${schemaId}: ${msg(error)}`, {
        cause: error,
      });
    }
    return this.poison("decoding", topic, at, msg(error), error);
  }

  private poison(verb: string, topic: string, at: RecordPosition | undefined, reason: string, cause: unknown) {
    return new PoisonRecordError(`${verb} ${describePosition(topic, at)}: ${reason}`, { cause });
  }
}

/** `field customer.email: "42" is not a valid string; field amount: ...` from avsc's validation walk. */
export function invalidFields(type: Type, value: unknown): string {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook: (path, bad, badType) => {
      const expected = badType.name ?? badType.typeName;
      const shown = bad === undefined ? "missing" : JSON.stringify(bad)?.slice(0, 60);
      problems.push(`field ${path.length > 0 ? path.join(".") : "(root)"}: ${shown} is not a valid ${expected}`);
    },
  });
  return problems.join("; ");
}

function msg(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
