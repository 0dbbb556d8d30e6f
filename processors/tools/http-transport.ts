/**
 * HTTP(S) tool transport: `{name}` placeholders in the URL template take URL-encoded arguments, the remaining
 * arguments go as a JSON body (or as the query string of a GET/DELETE), with the tool's headers, its auth and the
 * call's `Idempotency-Key`. 2xx → the JSON result; 4xx (except 408 and 429) → rejected; the rest → unavailable.
 */
import type { HttpTransportSpec } from "./tool-spec.ts";
import {
  type ListedSchemas,
  ToolRejectedError,
  type ToolRequest,
  type ToolTransport,
  ToolUnavailableError,
} from "./transport.ts";

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The URL for `args`, and the arguments the template did not use. */
export function expandUrl(
  template: string,
  args: Readonly<Record<string, unknown>>,
): { url: string; rest: Record<string, unknown> } {
  const used = new Set<string>();
  const url = template.replace(PLACEHOLDER, (_, name: string) => {
    used.add(name);
    const value = args[name];
    if (value === undefined || value === null) throw new ToolRejectedError(`argument ${name} of the URL is missing`);
    return encodeURIComponent(typeof value === "object" ? JSON.stringify(value) : String(value));
  });
  const rest = Object.fromEntries(Object.entries(args).filter(([k]) => !used.has(k)));
  return { url, rest };
}

function authHeader(auth: HttpTransportSpec["auth"]): Record<string, string> {
  if (auth === undefined) return {};
  if ("bearer" in auth) return { authorization: `Bearer ${auth.bearer}` };
  const token = Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString("base64");
  return { authorization: `Basic ${token}` };
}

export class HttpTransport implements ToolTransport {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly tool: string,
    private readonly spec: HttpTransportSpec,
  ) {
    this.headers = { ...spec.headers, ...authHeader(spec.auth) };
  }

  async open(): Promise<ListedSchemas> {
    return {};
  }

  async call(request: ToolRequest): Promise<unknown> {
    const { url, rest } = expandUrl(this.spec.url, request.args);
    const bodyless = this.spec.method === "GET" || this.spec.method === "DELETE";
    const target = new URL(url);
    if (bodyless) for (const [k, v] of Object.entries(rest)) target.searchParams.set(k, String(v));
    const response = await fetch(target, {
      method: this.spec.method,
      headers: {
        accept: "application/json",
        ...(bodyless ? {} : { "content-type": "application/json" }),
        ...this.headers,
        "idempotency-key": request.idempotencyKey,
      },
      ...(bodyless ? {} : { body: JSON.stringify(rest) }),
      signal: request.signal,
    });
    const text = await response.text();
    const status = response.status;
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      throw new ToolRejectedError(`tool ${this.tool} answered ${status}: ${text.slice(0, 200)}`, status);
    }
    if (status < 200 || status >= 300) {
      throw new ToolUnavailableError(`tool ${this.tool} answered ${status}: ${text.slice(0, 200)}`);
    }
    if (text === "") return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new ToolRejectedError(`tool ${this.tool} answered ${status} with a body that is not JSON`, status);
    }
  }

  async close(): Promise<void> {}
}
