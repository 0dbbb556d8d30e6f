/**
 * Wires `sluice eval` and `sluice rollout promote|rollback` into the command line; cli/commands/eval.ts (and the
 * ClickHouse and Kafka clients) load only when one of them runs.
 */
import type { Command } from "commander";
import type { CommandResult } from "./sql.ts";

const DIMENSIONS = ["model", "variant", "agent", "tenant", "day"] as const;

function emit(result: CommandResult): void {
  const stream = result.exitCode === 0 ? process.stdout : process.stderr;
  if (result.output) stream.write(result.output.endsWith("\n") ? result.output : `${result.output}\n`);
  process.exitCode = result.exitCode;
}

export function registerEvalCommands(program: Command): void {
  program
    .command("eval")
    .description("precision, recall, confusion matrix and time to outcome of a topology's decisions")
    .argument("<topology>", "the topology that makes the decisions (its applicationId and clickhouse)")
    .option("--since <when>", "decisions from this date, ISO time or span (7d, 12h)")
    .option("--model <id>", "one model id or variant (primary, a candidate id)")
    .option("--by <dims>", `group by any of ${DIMENSIONS.join(",")}`, "model")
    .option("--run-id <id>", "decisions of this run", "live")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice eval topologies/examples/support-triage.yaml --since 7d --by model,day",
    )
    .action(async (file: string, o: { since?: string; model?: string; by?: string; runId?: string; json?: boolean }) =>
      emit(await (await import("./eval.ts")).evalCommand(file, o)),
    );

  const rollout = program
    .command("rollout")
    .description("move canary weights of a running topology (control topic <applicationId>-control; audit_log)");
  for (const action of ["promote", "rollback"] as const) {
    const command = rollout
      .command(action)
      .description(
        action === "promote"
          ? "give a candidate a share of keys (--weight, default 1: every key)"
          : "send a candidate's keys back to the primary",
      )
      .argument("<topology>", "topology file")
      .requiredOption("--model <id>", "candidate id")
      .option("--processor <name>", "infer node (default: the only one with candidates)")
      .option("--json", "print JSON");
    if (action === "promote") command.option("--weight <share>", "share of keys, 0..1");
    command.action(async (file: string, o: { model: string; weight?: string; processor?: string; json?: boolean }) =>
      emit(await (await import("./eval.ts")).rolloutCommand(action, file, o)),
    );
  }
}
