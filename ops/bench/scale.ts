/**
 * 1, 2 and 3 sluice processes on the same passthrough backlog. On 2 shared cores this shows what coordination
 * costs (rebalances, more connections and fetches), not speed-up: CPU-seconds per 1 000 records is the figure.
 * Writes bench/results/scale.json.
 */
import { writeTopology } from "./lib/group-run.ts";
import { runMeasured, sluiceLaunch } from "./lib/processes.ts";
import { writeResult } from "./lib/results.ts";
import { createTopic, deleteTopics, ensureInput, LOG_APPEND_TIME } from "./lib/topics.ts";
import { passthroughYaml } from "./passthrough.ts";

export async function benchScale(records: number, maxSeconds: number, instanceCounts: readonly number[] = [1, 2, 3]) {
  const input = `bench-pt-in-${records}`;
  await ensureInput(input, records);
  const runs = [];
  for (const instances of instanceCounts) {
    const app = `bench-scale-${instances}-${Date.now().toString(36)}`;
    const output = `${app}-out`;
    await createTopic(output, 6, LOG_APPEND_TIME);
    await createTopic(`${app}.dlq`, 1);
    try {
      const file = writeTopology(app, passthroughYaml(app, input, output));
      const launches = Array.from({ length: instances }, () => sluiceLaunch(app, file));
      const run = await runMeasured(launches, output, records, { maxSeconds });
      console.error(`scale ${instances}: ${run.recordsPerSecond} records/s, ${run.cpuSecondsPer1000} CPU-s/1000`);
      runs.push({ instances, ...run });
    } finally {
      await deleteTopics([output, `${app}.dlq`]);
    }
  }
  const result = {
    input: { topic: input, records, partitions: 6 },
    method:
      "sluice passthrough, N processes in one group; window from the first output to the last; CPU of all processes",
    runs,
  };
  writeResult("scale", result);
  return result;
}
