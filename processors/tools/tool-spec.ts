/**
 * The `tools:` section: each tool a `tool` processor may call, declared the way agent frameworks declare them
 * (name, description, JSON Schemas of input and output, as MCP's `Tool`), plus how it is reached (HTTP, MCP or a
 * local module) and how it is protected (timeout, retry, circuit breaker, concurrency, rate, cost and budget).
 */
import { z } from "zod";

const secretText = () => z.string().meta({ secret: true });
const jsonSchema = z.record(z.string(), z.unknown());

export const httpTransportSpec = z.strictObject({
  type: z.literal("http"),
  /** @default "POST" */
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).default("POST"),
  /** URL template: `{name}` is replaced by the URL-encoded argument `name` (`${VAR}` is resolved at load time). */
  url: z.string().regex(/^https?:\/\//, "an http:// or https:// URL"),
  /** Extra request headers (values may come from `${VAR}` or `${file:…}`); redacted in printouts. @default {} */
  headers: z.record(z.string(), z.string()).meta({ secret: true }).default({}),
  /** `bearer: <token>` or `basic: {username, password}`. @default none */
  auth: z
    .union([
      z.strictObject({ bearer: secretText() }),
      z.strictObject({ basic: z.strictObject({ username: z.string(), password: secretText() }) }),
    ])
    .optional(),
});

export const mcpTransportSpec = z.strictObject({
  type: z.literal("mcp"),
  /** Streamable HTTP endpoint of the MCP server (one of `url` or `command`). */
  url: z.url().optional(),
  /** Starts the MCP server as a child process speaking stdio: program and arguments. */
  command: z.array(z.string().min(1)).min(1).optional(),
  /** The tool's name on the server. @default the tool's name */
  tool: z.string().min(1).optional(),
});

export const moduleTransportSpec = z.strictObject({
  type: z.literal("module"),
  /** Module path, relative to the topology file's folder. Its export is `(args, {idempotencyKey, signal}) => result`. */
  module: z.string().min(1),
  /** @default "default" */
  export: z.string().min(1).default("default"),
});

export const transportSpec = z.discriminatedUnion("type", [httpTransportSpec, mcpTransportSpec, moduleTransportSpec]);

const rate = z.strictObject({
  /** Tokens added per second. */
  perSecond: z.number().positive(),
  /** Bucket size: calls allowed in a burst. @default perSecond (at least 1) */
  burst: z.number().int().positive().optional(),
});

export const toolSpec = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  description: z.string().default(""),
  /** JSON Schema the arguments must satisfy before a call. @default what an MCP server lists, else any object */
  input: jsonSchema.optional(),
  /** JSON Schema the result must satisfy; a result that fails it is poison. @default what an MCP server lists, else anything */
  output: jsonSchema.optional(),
  transport: transportSpec,
  /** Longest one attempt may take. @default 5000 */
  timeoutMs: z.number().int().positive().default(5000),
  retry: z
    .strictObject({
      /** Attempts per call (1 = no retry) before the record's batch fails as transient. @default 3 */
      attempts: z.number().int().positive().default(3),
      /** @default 100 */
      initialDelayMs: z.number().int().positive().default(100),
      /** @default 2000 */
      maxDelayMs: z.number().int().positive().default(2000),
    })
    .prefault({}),
  circuitBreaker: z
    .strictObject({
      /** Consecutive failed attempts that open the circuit. @default 5 */
      consecutiveFailures: z.number().int().positive().default(5),
      /** How long the circuit stays open before one trial call. @default 5000 */
      halfOpenAfterMs: z.number().int().positive().default(5000),
    })
    .prefault({}),
  /** Calls in flight at once, per tool and per tenant (per process). @default {perTool: 16} */
  concurrency: z
    .strictObject({
      /** @default 16 */
      perTool: z.number().int().positive().default(16),
      /** @default no per-tenant bound */
      perTenant: z.number().int().positive().optional(),
    })
    .prefault({}),
  /** Token-bucket rate limits (per process); a call waits for a token. @default unlimited */
  rateLimit: z.strictObject({ perTool: rate.optional(), perTenant: rate.optional() }).optional(),
  /** Cost of one call, in the budget's unit. @default 0 */
  cost: z.number().nonnegative().default(0),
  /** Per-tenant budget of cost per window: when a call would exceed it, the tool is not called. @default none */
  budget: z
    .strictObject({
      perTenant: z.number().nonnegative(),
      /** @default 3600000 (an hour) */
      windowMs: z.number().int().positive().default(3_600_000),
      /** `decision`: the record goes on, marked `budget_exhausted`; `dead-letter`: it goes to the DLQ. @default "decision" */
      onExhausted: z.enum(["decision", "dead-letter"]).default("decision"),
    })
    .optional(),
  /**
   * Under `sluice replay`: `journal` returns journaled results and calls nothing; `dry-run` validates and records
   * the call without making it; `live` calls (only with `--allow-side-effects`, audited). @default "journal"
   */
  replay: z.enum(["journal", "dry-run", "live"]).default("journal"),
});
export type ToolSpec = z.infer<typeof toolSpec>;
export type ToolSpecInput = z.input<typeof toolSpec>;
export type HttpTransportSpec = z.infer<typeof httpTransportSpec>;
export type McpTransportSpec = z.infer<typeof mcpTransportSpec>;
export type ModuleTransportSpec = z.infer<typeof moduleTransportSpec>;
export type ReplayMode = ToolSpec["replay"];
