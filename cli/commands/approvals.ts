/**
 * `sluice approvals list|approve|reject <topology>`: the operator's side of human approval (docs/approvals.md).
 * `list` reads the pending requests from the approval store's changelog; `approve` and `reject` send verdicts to
 * the approvals topic, keyed and partitioned like the held decision. Thin: the work is in
 * topologies/runtime/approval-requests.ts, loaded only when a subcommand runs.
 */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.ts";

interface ListOptions {
  node?: string;
  rule?: string;
  json?: boolean;
}

interface VerdictOptions {
  node?: string;
  approver?: string;
  reason?: string;
  json?: boolean;
}

async function load(file: string) {
  const [{ compileTopology }, requests, { topologyKafkaClient }, { loadTopologyFile }] = await Promise.all([
    import("../../topologies/compiler.ts"),
    import("../../topologies/runtime/approval-requests.ts"),
    import("../../topologies/runtime/kafka/kafkajs-client.ts"),
    import("../../topologies/yaml-loader.ts"),
  ]);
  const topology = compileTopology(loadTopologyFile(file), { file, checkProcessors: false });
  return { topology, requests, client: topologyKafkaClient(topology) };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

async function list(file: string, o: ListOptions): Promise<void> {
  const { topology, requests, client } = await load(file);
  const points = requests.approvalPoints(topology, o.node);
  const all = (await Promise.all(points.map((p) => requests.pendingApprovals(client, p)))).flat();
  const shown = o.rule === undefined ? all : all.filter((p) => p.rule === o.rule);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return;
  }
  const now = Date.now();
  const rows = shown.map((p) => [
    p.requestId,
    p.node,
    p.rule,
    String(p.partition),
    p.key ?? "",
    p.decision.decision,
    iso(p.requestedAt),
    p.expiresAt <= now ? `due (${p.onExpiry})` : `${Math.ceil((p.expiresAt - now) / 1000)} s → ${p.onExpiry}`,
  ]);
  const header = ["REQUEST", "NODE", "RULE", "PART", "KEY", "DECISION", "REQUESTED", "EXPIRES"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  process.stdout.write(`${[line(header), ...rows.map(line)].join("\n")}\n${shown.length} pending\n`);
}

async function verdict(action: "approve" | "reject", file: string, ids: string[], o: VerdictOptions): Promise<void> {
  const { topology, requests, client } = await load(file);
  const [point, ...others] = requests.approvalPoints(topology, o.node);
  if (point === undefined) return; // approvalPoints throws first
  if (others.length > 0) {
    process.stderr.write(`sluice approvals: several decide nodes hold approvals; pick one with --node\n`);
    process.exitCode = EXIT.INVALID;
    return;
  }
  const approver = o.approver ?? process.env.USER ?? "sluice-cli";
  const { sent, notPending } = await requests.sendVerdicts(
    client,
    topology,
    point,
    ids.map((requestId) => ({ requestId, verdict: action, approver, reason: o.reason ?? "" })),
  );
  const done = action === "approve" ? "approved" : "rejected";
  if (o.json) process.stdout.write(`${JSON.stringify({ [done]: sent.map((s) => s.requestId), notPending })}\n`);
  else process.stdout.write(`${done} ${sent.length} request${sent.length === 1 ? "" : "s"} (by ${approver})\n`);
  if (notPending.length > 0) {
    process.stderr.write(`sluice approvals: not pending (resolved, expired or unknown): ${notPending.join(", ")}\n`);
    process.exitCode = EXIT.INVALID;
  }
}

export function registerApprovalsCommand(program: Command): void {
  const approvals = program
    .command("approvals")
    .description("decisions held for human approval: list them, approve or reject them");
  approvals
    .command("list")
    .description("pending approval requests (from the approval store's changelog: no member needs to run)")
    .argument("<topology>", "topology file")
    .option("--node <name>", "one decide node (default: every one with approval:)")
    .option("--rule <name>", "only requests held by this rule")
    .option("--json", "print JSON (with each held decision)")
    .addHelpText("after", "\nExamples:\n  sluice approvals list topologies/examples/refund-approvals.yaml")
    .action((file: string, o: ListOptions) => list(file, o));
  for (const action of ["approve", "reject"] as const) {
    approvals
      .command(action)
      .description(
        action === "approve"
          ? "release held decisions as decided"
          : "turn held decisions into the rejected outcome (approval.rejectedDecision)",
      )
      .argument("<topology>", "topology file")
      .argument("<request-id...>", "request ids, as `approvals list` prints them")
      .option("--node <name>", "the decide node (needed when several hold approvals)")
      .option("--approver <who>", "recorded in the decision's approval lineage (default: $USER)")
      .option("--reason <text>", "recorded with the verdict")
      .option("--json", "print JSON")
      .action((file: string, ids: string[], o: VerdictOptions) => verdict(action, file, ids, o));
  }
}
