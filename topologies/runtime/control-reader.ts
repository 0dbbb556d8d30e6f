/**
 * A member's reader of its application's control topic (`<applicationId>-control`): from the start, then as
 * it grows, each rollout record goes into the process-wide rollout state, versioned by its offset, and every
 * `infer` instance picks it up at its next micro-batch. Started before the member consumes (`caughtUp`), so a
 * member that starts or restarts after a rollout scores its first record under the latest weights.
 * Only topologies with candidate models read it.
 */
import type { Logger } from "pino";
import type { CandidateConfig } from "../../processors/model-set.ts";
import { controlTopic, rolloutKey, rollouts } from "../../processors/rollout-state.ts";
import type { CompiledTopology } from "../compiler.ts";
import { controlConnection, tailControlTopic } from "./kafka/kafkajs-control.ts";
import { rolloutRecord } from "./rollout.ts";

export interface ControlReader {
  stop(): Promise<void>;
}

/** Whether any `infer` node of the topology has candidates (else there is nothing to roll out). */
export function hasCandidates(topology: CompiledTopology): boolean {
  return [...topology.nodes.values()].some(
    (n) =>
      n.kind === "processor" &&
      n.definition.type === "infer" &&
      ((n.config as { candidates?: CandidateConfig[] }).candidates ?? []).length > 0,
  );
}

/** Starts following the control topic; resolves once what it held at start is applied. Undefined when not needed. */
export async function startControlReader(
  topology: CompiledTopology,
  logger: Logger,
): Promise<ControlReader | undefined> {
  if (!hasCandidates(topology)) return undefined;
  const applicationId = topology.spec.applicationId;
  const topic = controlTopic(applicationId);
  const kafka = controlConnection(topology);
  const tail = await tailControlTopic(kafka, topic, (record) => {
    if (!record.key.startsWith("rollout/")) return;
    const parsed = rolloutRecord.safeParse(record.value);
    if (!parsed.success || rolloutKey(parsed.data.processor) !== record.key) {
      logger.warn({ topic, offset: record.offset }, "control record is not a rollout: skipped");
      return;
    }
    const { processor, weights, action, model } = parsed.data;
    if (rollouts.apply(applicationId, processor, { weights, version: record.offset })) {
      logger.info({ processor, action, model, weights, offset: record.offset }, "rollout applied at the next batch");
    }
  });
  await tail.caughtUp;
  logger.info({ topic }, "control topic read; following it");
  return { stop: () => tail.stop() };
}
