/**
 * `sluice run <topology>`: this process joins the topology's consumer group and processes its partitions until
 * SIGTERM/SIGINT (drain, flush, commit, leave the group, exit 0; a second signal exits at once).
 * `--instances N` starts N such processes under this one, for local convenience; in production each instance is
 * its own process or pod and Kafka's group protocol spreads the partitions. The work is in run-topology.ts.
 */
import type { Command } from "commander";
import type { RunOptions } from "./run-topology.ts";

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("run a topology as a member of its consumer group until SIGTERM/SIGINT")
    .argument("<topology>", "topology YAML file")
    .option("--instances <n>", "start N instances under this process (local convenience)", (v) => Number(v), 1)
    .option("--run-id <id>", "run id stamped on every output", "live")
    .option("--drain-timeout <ms>", "how long shutdown waits for in-flight records", (v) => Number(v), 30_000)
    .option(
      "--metrics-port <port>",
      "port of /metrics, /healthz and /readyz; 0 turns it off (with --instances, instance i uses port + i)",
      (v) => Number(v),
    )
    .option(
      "--as-of",
      "enrich from the knowledge-base version current at each event's timestamp (LanceDB version history)",
    )
    .option(
      "--as-of-fallback <mode>",
      "when that version was cleaned up: fail, or nearest (the nearest kept version)",
      "fail",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  sluice run topologies/examples/support-triage.yaml\n  sluice run topologies/examples/passthrough.yaml --instances 3\n\nIn production run one instance per process or pod; Kafka's group protocol assigns the partitions.",
    )
    .action(async (file: string, options: RunOptions) => {
      const { runInstances, runTopology } = await import("./run-topology.ts");
      process.exitCode = options.instances > 1 ? await runInstances(file, options) : await runTopology(file, options);
    });
}
