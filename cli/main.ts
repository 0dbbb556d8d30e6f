/**
 * The `sluice` command: parses arguments (commander) and calls the parts. Each subcommand lives in
 * cli/commands/<name>.ts; nothing here does real work.
 */
// First, before anything loads kafkajs (its send grouping is quadratic otherwise).
import "../topologies/runtime/kafka/kafkajs-patches.ts";
import { Command, CommanderError } from "commander";
import { AuthError, SluiceError } from "../core/errors.ts";
import { registerApprovalsCommand } from "./commands/approvals.ts";
import { registerClickHouseToolCommands } from "./commands/clickhouse-tools.ts";
import { registerEvalCommands } from "./commands/evaluation-tools.ts";
import { registerKbCommand } from "./commands/kb.ts";
import { registerProduceCommand } from "./commands/produce.ts";
import { registerReplayCommand } from "./commands/replay.ts";
import { registerRunCommand } from "./commands/run.ts";
import { registerSchemasCommand } from "./commands/schemas.ts";
import { registerStackCommand } from "./commands/stack.ts";
import { registerStatusCommand } from "./commands/status.ts";
import { registerTopologyToolCommands } from "./commands/topology-tools.ts";
import { EXIT, EXIT_CODES_HELP } from "./exit-codes.ts";

export function buildProgram(): Command {
  const program = new Command("sluice")
    .description("Kafka Streams-style stream processing in TypeScript for enterprise AI agents")
    .version("0.1.0")
    .showHelpAfterError()
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    // Before the subcommands are added, so they inherit it: their usage errors throw too, and exit 2.
    .exitOverride();
  registerApprovalsCommand(program);
  registerKbCommand(program);
  registerClickHouseToolCommands(program);
  registerEvalCommands(program);
  registerProduceCommand(program);
  registerReplayCommand(program);
  registerRunCommand(program);
  registerSchemasCommand(program);
  registerStackCommand(program);
  registerStatusCommand(program);
  registerTopologyToolCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : 2;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`sluice: ${message}\n`);
    if (error instanceof AuthError) return EXIT.AUTH;
    if (error instanceof SluiceError && !error.retriable) return EXIT.INVALID;
    return EXIT.UNAVAILABLE;
  }
}
