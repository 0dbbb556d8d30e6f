/**
 * A few Confluent-API registry calls made with `fetch` where the schema-registry client does not fit Apicurio
 * (its `register` compares `GET /config/{subject}` with its own default) or hides the answer (409 reasons).
 * Classifies failures once: no answer, timeout, 5xx, 408 or 429 → `TransientError`; other statuses are returned.
 */
import { TransientError } from "../core/errors.ts";

export interface RegistryHttpOptions {
  /** Milliseconds to wait for an answer before the registry counts as not answering. @default 5000 */
  timeoutMs?: number;
}

export interface RegistryResponse<T> {
  status: number;
  body: T;
}

/** Content type of the Confluent API. */
const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/** Calls `<baseUrl><path>`; resolves with any 2xx/4xx answer, throws `TransientError` when there is none. */
export async function registryRequest<T = unknown>(
  baseUrl: string,
  path: string,
  init: { method?: "GET" | "POST" | "PUT"; body?: unknown } = {},
  options: RegistryHttpOptions = {},
): Promise<RegistryResponse<T>> {
  const url = `${baseUrl.replace(/\/+$/, "")}${path}`;
  const method = init.method ?? "GET";
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { accept: CONTENT_TYPE, ...(init.body === undefined ? {} : { "content-type": CONTENT_TYPE }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
  } catch (error) {
    throw new TransientError(`schema registry ${method} ${url} did not answer: ${networkReason(error)}`, {
      cause: error,
    });
  }
  const text = await response.text();
  const status = response.status;
  if (status >= 500 || status === 408 || status === 429) {
    throw new TransientError(`schema registry ${method} ${url} answered ${status}: ${text.slice(0, 300)}`);
  }
  let body: unknown = text;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status, body: body as T };
}

/** The registry's own message from an error answer (`{ message, error_code }`), else the raw text. */
export function registryMessage(body: unknown): string {
  if (typeof body === "object" && body !== null && "message" in body) return String(body.message);
  return typeof body === "string" ? body : JSON.stringify(body);
}

/** `ECONNREFUSED 127.0.0.1:1` or `timeout` rather than fetch's bare "fetch failed". */
function networkReason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return "timeout";
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) return cause.message;
    return error.message;
  }
  return String(error);
}

/** Subject path segment, escaped. */
export function subjectPath(subject: string): string {
  return `/subjects/${encodeURIComponent(subject)}`;
}

/**
 * The exact schema text sluice registers for a schema: compact JSON of the parsed schema. Registering the same
 * text everywhere (CLI and serde) keeps ids stable on registries that compare text rather than canonical forms.
 */
export function schemaText(schema: unknown): string {
  return JSON.stringify(typeof schema === "string" ? JSON.parse(schema) : schema);
}
