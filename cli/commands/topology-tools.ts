/**
 * Wires `sluice validate` and `sluice describe` into the command line: both work without any service. The
 * topology compiler loads only when one of them runs, so `sluice --help` stays quick.
 */
import type { Command } from "commander";

function emit(result: { exitCode: number; output: string }): void {
  const stream = result.exitCode === 0 ? process.stdout : process.stderr;
  if (result.output) stream.write(result.output.endsWith("\n") ? result.output : `${result.output}\n`);
  process.exitCode = result.exitCode;
}

export function registerTopologyToolCommands(program: Command): void {
  program
    .command("validate")
    .description("check topology files without starting anything; exit 1 with every problem found")
    .argument("<files...>", "topology YAML files")
    .option("--json", "print a JSON report")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice validate topologies/examples/*.yaml\n  sluice validate my-topology.yaml --json",
    )
    .action(async (files: string[], options: { json?: boolean }) => {
      const { validateCommand } = await import("./validate.ts");
      emit(validateCommand(files, { json: options.json === true }));
    });

  program
    .command("describe")
    .description("print a topology as a tree, or a Mermaid diagram (secrets redacted)")
    .argument("<file>", "topology YAML file")
    .option("--format <format>", "text or mermaid", "text")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice describe topologies/examples/support-triage.yaml\n  sluice describe topologies/examples/order-routing.yaml --format mermaid",
    )
    .action(async (file: string, options: { format: string }) => {
      const { describeCommand } = await import("./describe.ts");
      emit(describeCommand(file, { format: options.format }));
    });
}
