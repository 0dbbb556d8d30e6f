/**
 * One error hierarchy for all of sluice, shaped after KafkaJS's `KafkaJSError { retriable, cause }`:
 * callers decide between "dead-letter and move on" and "retry, then pause" from the class alone.
 */

export interface SluiceErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

/** Root of every error sluice raises on purpose. `retriable` says whether trying again may succeed. */
export class SluiceError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** Where in a topology file a problem is. `line`/`column` are 1-based. */
export interface SourcePosition {
  file?: string;
  line?: number;
  column?: number;
  /** Spec path such as `processors[3].enrich.topK`. */
  path?: string;
}

/** One problem found while loading or compiling a topology. */
export interface ConfigIssue extends SourcePosition {
  message: string;
}

/** Formats an issue as `file:line:column path: message`, omitting what is unknown. */
export function formatIssue(issue: ConfigIssue): string {
  const where = [issue.file, issue.line, issue.column].filter((part) => part !== undefined).join(":");
  const path = issue.path ? `${issue.path}: ` : "";
  return `${where ? `${where} ` : ""}${path}${issue.message}`;
}

/** A topology (or CLI configuration) that is not valid. Carries every issue found, not just the first. */
export class ConfigError extends SluiceError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[] | string, options: SluiceErrorOptions = {}) {
    const list = typeof issues === "string" ? [{ message: issues }] : issues;
    super(list.map(formatIssue).join("\n"), { ...options, retriable: false });
    this.issues = list;
  }
}

/** Bad data: the record goes to the dead-letter topic with this reason and the partition moves on. */
export class PoisonRecordError extends SluiceError {
  constructor(message: string, options: Omit<SluiceErrorOptions, "retriable"> = {}) {
    super(message, { ...options, retriable: false });
  }
}

/** A dependency (broker, registry, sink, store) is unavailable: retry with backoff, then pause; never skip. */
export class TransientError extends SluiceError {
  constructor(message: string, options: Omit<SluiceErrorOptions, "retriable"> = {}) {
    super(message, { ...options, retriable: true });
  }
}

/**
 * Another process took over this transactional id (a newer producer epoch): this one is a zombie and must stop
 * without committing. Raised by the exactly-once producer.
 */
export class ProducerFencedError extends SluiceError {}

/** Authentication or TLS failed (wrong password, untrusted certificate): retrying cannot help. Exit code 4. */
export class AuthError extends SluiceError {
  constructor(message: string, options: Omit<SluiceErrorOptions, "retriable"> = {}) {
    super(message, { ...options, retriable: false });
  }
}

/**
 * Some records of a batch failed. `failures` maps the index in the batch to its error, so one poison
 * record never fails its neighbours (Redpanda Connect's `BatchError.Failed(i, err)`).
 */
export class BatchError extends SluiceError {
  readonly failures = new Map<number, Error>();

  constructor(message = "some records of the batch failed", options: SluiceErrorOptions = {}) {
    super(message, options);
  }

  failed(index: number, error: Error): this {
    this.failures.set(index, error);
    return this;
  }
}

/** True when retrying may help: a TransientError, or any error flagged `retriable` (KafkaJS errors too). */
export function isRetriable(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { retriable?: unknown }).retriable === true;
}

/**
 * The same kind of error with `context` in front of its message (`sink out: writing 12 records to t: …`):
 * transient stays transient, a fenced producer stays fenced, anything else becomes a `SluiceError`.
 */
export function inContext(context: string, error: unknown): SluiceError {
  const message = `${context}: ${error instanceof Error ? error.message : String(error)}`;
  if (error instanceof ProducerFencedError) return new ProducerFencedError(message, { cause: error });
  if (error instanceof ConfigError) return error;
  if (error instanceof PoisonRecordError) return new PoisonRecordError(message, { cause: error });
  if (isRetriable(error)) return new TransientError(message, { cause: error });
  return new SluiceError(message, { cause: error });
}
