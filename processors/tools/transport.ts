/**
 * What every tool transport (HTTP, MCP, local module) offers the tool registry, and how its failures are sorted:
 * the tool refusing the call (a 4xx, an MCP tool error: poison, never retried) or the tool being unreachable
 * (5xx, network, timeout: transient, retried, then the circuit opens).
 */
import { PoisonRecordError, TransientError } from "../../core/errors.ts";

/** One call as a transport makes it. */
export interface ToolRequest {
  readonly args: Readonly<Record<string, unknown>>;
  /** Derived from the input's lineage key and the tool: sent as `Idempotency-Key` or MCP `_meta.idempotencyKey`. */
  readonly idempotencyKey: string;
  /** Aborted when the attempt times out. */
  readonly signal: AbortSignal;
}

/** Schemas a transport learned from the tool's server (MCP `tools/list`). */
export interface ListedSchemas {
  input?: Record<string, unknown>;
  output?: Record<string, unknown>;
  description?: string;
}

export interface ToolTransport {
  /** Connects (MCP) or loads (module); returns what the server lists of the tool. */
  open(): Promise<ListedSchemas>;
  /** One attempt. Throws `ToolRejectedError` when the tool refuses the input, `TransientError` when unreachable. */
  call(request: ToolRequest): Promise<unknown>;
  close(): Promise<void>;
}

/** The tool refused the call (HTTP 4xx, an MCP tool error, a module's PoisonRecordError): the record is poison. */
export class ToolRejectedError extends PoisonRecordError {
  constructor(
    message: string,
    /** HTTP status, when there is one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A tool attempt that may succeed later (5xx, connection refused, timeout). */
export class ToolUnavailableError extends TransientError {}

/** Wraps what a failed attempt threw: a rejection stays one, everything else is transient. */
export function unavailable(tool: string, error: unknown): Error {
  if (error instanceof ToolRejectedError || error instanceof ToolUnavailableError) return error;
  const cause = (error as { cause?: { message?: string; code?: string } } | null)?.cause;
  const why = cause ? ` (${cause.code ?? cause.message ?? String(cause)})` : "";
  const message = `${error instanceof Error ? error.message : String(error)}${why}`;
  return new ToolUnavailableError(`tool ${tool}: ${message}`, { cause: error });
}
