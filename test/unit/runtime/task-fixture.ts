/**
 * A Task of the unit tests: topic `in`, partition 0, string keys and values, one sink named `out`, no broker.
 */
import pino from "pino";
import { createSerde } from "../../../schemas/serde-factory.ts";
import type { Sink } from "../../../sinks/api.ts";
import type { DeadLetterMessage } from "../../../sinks/dead-letter.ts";
import type { TopologyExecutor } from "../../../topologies/executor.ts";
import type { PartitionState } from "../../../topologies/runtime/state/partition-state.ts";
import { Task } from "../../../topologies/runtime/task.ts";

export const logger = pino({ level: "silent" });

export interface TaskFixtureOptions {
  maxInFlightRecords: number;
  chunkRecords: number;
  /** Receives the task's dead letters. @default dropped */
  deadLetters?: DeadLetterMessage[];
  partitionState?: PartitionState;
}

export function taskOn(executor: TopologyExecutor, sink: Sink, options: TaskFixtureOptions): Task {
  const letters = options.deadLetters;
  return new Task({
    applicationId: "unit-task",
    topic: "in",
    partition: 0,
    keySerde: createSerde({ format: "string" }),
    valueSerde: createSerde({ format: "string" }),
    sourceNode: "in",
    executor,
    sinks: new Map([["out", sink]]),
    deadLetters: { write: async (l) => void letters?.push(...l) },
    logger,
    maxInFlightRecords: options.maxInFlightRecords,
    chunkRecords: options.chunkRecords,
    ...(options.partitionState ? { partitionState: options.partitionState } : {}),
  });
}
