/**
 * A small CRM as an MCP server (streamable HTTP, stateless) for the agent-desk example and the tool tests. It
 * lists one tool, `crm_lookup` ({customer_id} → {customer_id, tier, owner, open_opportunities}), with input and
 * output schemas, and counts calls by the `_meta.idempotencyKey` each carries (ops/tools/counters.ts): a repeated
 * key gets the first answer. A `customer_id` starting with `unknown` is a tool error (`isError`).
 *
 *   node --import tsx ops/tools/crm-mcp-server.ts --port 0 [--state /tmp/crm.jsonl] [--stdio]
 * serves MCP at POST /mcp and counters at GET /counters; prints `{"listening":<port>}`; stops on SIGTERM. With
 * `--stdio` it speaks MCP on stdin/stdout instead (started by the client, which stops it), still serving
 * counters over HTTP on `--port` (the listening line then goes to stderr).
 */
import { createServer, type IncomingMessage } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { CallCounters, option } from "./counters.ts";

const port = Number(option("port", "CRM_PORT", "0"));
const stateFile = option("state", "CRM_STATE_FILE", "");
const counters = new CallCounters(stateFile === "" ? undefined : stateFile);
const stdio = process.argv.includes("--stdio");

const TIERS = ["free", "pro", "enterprise"] as const;

function lookup(customerId: string) {
  let h = 0;
  for (const c of customerId) h = (h * 33 + c.charCodeAt(0)) % 9973;
  return { customer_id: customerId, tier: TIERS[h % 3]!, owner: `rep-${h % 7}`, open_opportunities: h % 4 };
}

function mcpServer(): McpServer {
  const server = new McpServer({ name: "crm", version: "1.0.0" });
  server.registerTool(
    "crm_lookup",
    {
      description: "Looks up a customer's CRM record: tier, account owner and open sales opportunities.",
      inputSchema: { customer_id: z.string().min(1) },
      outputSchema: {
        customer_id: z.string(),
        tier: z.enum(TIERS),
        owner: z.string(),
        open_opportunities: z.number().int(),
      },
    },
    async ({ customer_id }, extra) => {
      const key = (extra._meta as { idempotencyKey?: unknown } | undefined)?.idempotencyKey;
      const seen = counters.request(typeof key === "string" ? key : undefined);
      if (customer_id.startsWith("unknown")) {
        counters.rejected++;
        return { isError: true, content: [{ type: "text" as const, text: `no customer ${customer_id}` }] };
      }
      const answer = (seen.repeated ? seen.answer : lookup(customer_id)) as ReturnType<typeof lookup>;
      if (!seen.repeated) counters.applied(typeof key === "string" ? key : undefined, answer);
      return { content: [{ type: "text" as const, text: JSON.stringify(answer) }], structuredContent: answer };
    },
  );
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

const http = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "GET" && path === "/counters") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ...counters.snapshot(), pid: process.pid }));
    return;
  }
  if (path !== "/mcp" || req.method !== "POST") {
    res.writeHead(405, { "content-type": "application/json" }).end(JSON.stringify({ error: "POST /mcp" }));
    return;
  }
  void (async () => {
    const server = mcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, await readJson(req));
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(JSON.stringify({ error: String(error) }));
    }
  })();
});

// Idle keep-alive sockets are closed by the client (undici: 4 s), never by the server first: a server closing one
// (Node's default: 5 s) just as a busy client reuses it fails that POST with "other side closed", which undici does
// not retry (POST is not idempotent): the likely cause of a once-seen tool-journal flake (a member lost its
// connection to the tool server).
http.keepAliveTimeout = 60_000;
http.headersTimeout = 65_000;
http.listen(port, "127.0.0.1", () => {
  const address = http.address();
  const line = `${JSON.stringify({ listening: typeof address === "object" ? address?.port : port })}\n`;
  (stdio ? process.stderr : process.stdout).write(line);
});
if (stdio) {
  await mcpServer().connect(new StdioServerTransport());
  process.stdin.on("close", () => stop());
}
function stop(): void {
  http.close(() => process.exit(0));
  http.closeAllConnections();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
