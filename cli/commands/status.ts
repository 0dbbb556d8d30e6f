/**
 * `sluice status <topology>`: the consumer group's progress from the broker (committed, end, lag per partition,
 * members, dead letters), as text or `--json`. The Kafka client loads only when it runs.
 */
import type { Command } from "commander";

export function registerStatusCommand(program: Command): void {
  program
    .command("status")
    .description("consumer-group progress of a topology: committed, end offset and lag per partition, members, DLQ")
    .argument("<topology>", "topology YAML file")
    .option("--group <id>", "another group, e.g. a replay's (default: the application id)")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice status topologies/examples/support-triage.yaml\n  sluice status topologies/examples/support-triage.yaml --json",
    )
    .action(async (file: string, options: { group?: string; json?: boolean }) => {
      const [{ compileTopology }, { formatStatus, groupStatus }, { topologyKafkaClient }, { loadTopologyFile }] =
        await Promise.all([
          import("../../topologies/compiler.ts"),
          import("../../topologies/runtime/group-status.ts"),
          import("../../topologies/runtime/kafka/kafkajs-client.ts"),
          import("../../topologies/yaml-loader.ts"),
        ]);
      const topology = compileTopology(loadTopologyFile(file), { checkProcessors: false });
      const { spec } = topology;
      const admin = topologyKafkaClient(topology).admin();
      await admin.connect();
      try {
        const topics = spec.sources.flatMap((s) => (Array.isArray(s.topic) ? s.topic : [s.topic]));
        const status = await groupStatus(admin, options.group ?? spec.applicationId, topics, topology.deadLetterTopic);
        process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`);
      } finally {
        await admin.disconnect();
      }
    });
}
