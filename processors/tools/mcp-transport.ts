/**
 * MCP tool transport through `@modelcontextprotocol/sdk`: a client over streamable HTTP (`url`) or stdio
 * (`command`, a child process). `open` lists the server's tools and takes the tool's description and schemas
 * from there; each call is `tools/call` with the idempotency key in `_meta.idempotencyKey`. A tool result with
 * `isError`, or a refusal of the arguments, rejects the call; a lost connection is transient and reconnects.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { ConfigError } from "../../core/errors.ts";
import type { McpTransportSpec } from "./tool-spec.ts";
import {
  type ListedSchemas,
  ToolRejectedError,
  type ToolRequest,
  type ToolTransport,
  ToolUnavailableError,
  unavailable,
} from "./transport.ts";

const REFUSALS = new Set<number>([ErrorCode.InvalidParams, ErrorCode.InvalidRequest, ErrorCode.MethodNotFound]);

interface ContentItem {
  type: string;
  text?: string;
}

/** The value of a tool result: `structuredContent`, else the JSON (or plain text) of its text content. */
export function resultValue(result: { structuredContent?: unknown; content?: unknown }): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const text = ((result.content as ContentItem[] | undefined) ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text ?? "")
    .join("");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class McpTransport implements ToolTransport {
  private client: Client | undefined;
  private readonly remoteName: string;

  constructor(
    private readonly tool: string,
    private readonly spec: McpTransportSpec,
  ) {
    if ((spec.url === undefined) === (spec.command === undefined)) {
      throw new ConfigError([{ path: "transport", message: `tool ${tool}: an MCP transport needs url or command` }]);
    }
    this.remoteName = spec.tool ?? tool;
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({ name: "sluice", version: "1" });
    const transport = this.spec.url
      ? new StreamableHTTPClientTransport(new URL(this.spec.url))
      : new StdioClientTransport({
          command: this.spec.command![0]!,
          args: this.spec.command!.slice(1),
          stderr: "inherit",
        });
    try {
      await client.connect(transport);
    } catch (error) {
      await client.close().catch(() => {});
      throw unavailable(this.tool, error);
    }
    this.client = client;
    return client;
  }

  async open(): Promise<ListedSchemas> {
    const client = await this.connect();
    const listed = await client.listTools();
    const found = listed.tools.find((t) => t.name === this.remoteName);
    if (found === undefined) {
      const names = listed.tools.map((t) => t.name).join(", ") || "none";
      throw new ConfigError(`tool ${this.tool}: the MCP server has no tool "${this.remoteName}" (it lists: ${names})`);
    }
    return {
      input: found.inputSchema as Record<string, unknown>,
      ...(found.outputSchema ? { output: found.outputSchema as Record<string, unknown> } : {}),
      ...(found.description ? { description: found.description } : {}),
    };
  }

  async call(request: ToolRequest): Promise<unknown> {
    const client = await this.connect();
    let result: Awaited<ReturnType<Client["callTool"]>>;
    try {
      result = await client.callTool(
        { name: this.remoteName, arguments: { ...request.args }, _meta: { idempotencyKey: request.idempotencyKey } },
        undefined,
        { signal: request.signal },
      );
    } catch (error) {
      if (error instanceof McpError && REFUSALS.has(error.code)) {
        throw new ToolRejectedError(`tool ${this.tool}: ${error.message}`);
      }
      this.client = undefined;
      await client.close().catch(() => {});
      throw unavailable(this.tool, error);
    }
    if (result.isError === true) {
      const reason = JSON.stringify(resultValue(result as { content?: unknown })).slice(0, 200);
      throw new ToolRejectedError(`tool ${this.tool} returned an error: ${reason}`);
    }
    if (!("content" in result) && !("structuredContent" in result)) {
      throw new ToolUnavailableError(`tool ${this.tool}: the server answered without content`);
    }
    return resultValue(result as { structuredContent?: unknown; content?: unknown });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }
}
