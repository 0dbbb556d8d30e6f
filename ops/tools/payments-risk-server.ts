/**
 * A small payments-risk HTTP service for the agent-desk example and the tool tests: `POST /risk` (or `/risk/<account_id>`)
 * with `{account_id, amount, currency?}` answers `{account_id, score, level}` and records the call as a side effect
 * keyed by its `Idempotency-Key` (a repeated key gets the first answer, no new effect). `GET /counters` reports
 * what it received (ops/tools/counters.ts). Inputs it refuses: `amount < 0` → 400, `account_id` starting with
 * `blocked` → 422; `account_id` starting with `malformed` gets an answer that breaks the declared output schema.
 *
 *   node --import tsx ops/tools/payments-risk-server.ts --port 0 [--state /tmp/risk.jsonl] [--delay-ms 5] [--token T]
 * prints `{"listening":<port>}` on stdout once it accepts connections; stops on SIGTERM.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { CallCounters, option } from "./counters.ts";

const port = Number(option("port", "RISK_PORT", "0"));
const delayMs = Number(option("delay-ms", "RISK_DELAY_MS", "0"));
const stateFile = option("state", "RISK_STATE_FILE", "");
/** When set, requests must carry `Authorization: Bearer <token>` (else 401). */
const token = option("token", "RISK_TOKEN", "");
const counters = new CallCounters(stateFile === "" ? undefined : stateFile);

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? {} : JSON.parse(text);
}

/** A deterministic score in [0, 1) from the amount and the account. */
function score(account: string, amount: number): number {
  let h = 0;
  for (const c of account) h = (h * 31 + c.charCodeAt(0)) % 1000;
  return Math.min(0.999, (Math.log10(1 + Math.max(0, amount)) / 6 + h / 5000) % 1);
}

async function risk(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (token !== "" && req.headers.authorization !== `Bearer ${token}`) {
    counters.rejected++;
    return send(res, 401, { error: "missing or wrong bearer token" });
  }
  const key = req.headers["idempotency-key"];
  const seen = counters.request(typeof key === "string" ? key : undefined);
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  if (seen.repeated) return send(res, 200, seen.answer);
  let input: { account_id?: unknown; amount?: unknown };
  try {
    input = (await body(req)) as typeof input;
  } catch {
    counters.rejected++;
    return send(res, 400, { error: "body is not JSON" });
  }
  const fromPath = (req.url ?? "").split("?")[0]?.split("/")[2];
  const account = fromPath ? decodeURIComponent(fromPath) : String(input.account_id ?? "");
  const amount = Number(input.amount);
  if (!Number.isFinite(amount) || amount < 0) {
    counters.rejected++;
    return send(res, 400, { error: `amount must be a non-negative number, got ${JSON.stringify(input.amount)}` });
  }
  if (account.startsWith("blocked")) {
    counters.rejected++;
    return send(res, 422, { error: `account ${account} is blocked` });
  }
  const s = score(account, amount);
  const answer = account.startsWith("malformed")
    ? { account_id: account, score: "high" }
    : { account_id: account, score: Number(s.toFixed(4)), level: s > 0.7 ? "high" : s > 0.4 ? "medium" : "low" };
  counters.applied(typeof key === "string" ? key : undefined, answer);
  send(res, 200, answer);
}

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "GET" && path === "/counters") return send(res, 200, counters.snapshot());
  if (req.method === "GET" && path === "/health") return send(res, 200, { ok: true });
  if (req.method === "POST" && (path === "/risk" || path?.startsWith("/risk/"))) {
    risk(req, res).catch((error) => send(res, 500, { error: String(error) }));
    return;
  }
  send(res, 404, { error: `no route ${req.method} ${path}` });
});

// Idle keep-alive sockets are closed by the client (undici: 4 s), never by the server first: a server closing one
// (Node's default: 5 s) just as a busy client reuses it fails that POST with "other side closed", which undici does
// not retry (POST is not idempotent): the likely cause of a once-seen tool-journal flake (a member lost its
// connection to the tool server).
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ listening: typeof address === "object" ? address?.port : port })}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
