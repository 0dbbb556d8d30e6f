/**
 * Per-stage processing times carried inside a record's value (`_stages`) from the first AI stage to `decide`,
 * which copies them into the `AgentDecision` lineage. Values are plain objects; every stage returns a new one.
 */
import { PoisonRecordError } from "../core/errors.ts";

/** The value field that carries stage timings between processors. */
export const STAGES_FIELD = "_stages";

export interface StageTiming {
  /** Processor name in the topology. */
  name: string;
  /** Wall clock when the stage started working on the record's micro-batch, epoch ms. */
  started_at: number;
  /** Time the stage spent on the micro-batch that carried the record, ms. */
  duration_ms: number;
  /** Records in that micro-batch. */
  batch_size: number;
}

/** The value as an object, or a `PoisonRecordError` saying what the stage needed. */
export function objectValue(value: unknown, stage: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new PoisonRecordError(`${stage}: record value is not an object (${value === null ? "null" : typeof value})`);
  }
  return value as Record<string, unknown>;
}

export function stagesOf(value: Record<string, unknown>): StageTiming[] {
  const stages = value[STAGES_FIELD];
  return Array.isArray(stages) ? (stages as StageTiming[]) : [];
}

/** A copy of `value` with `fields` set and one more stage timing appended. */
export function withStage(
  value: Record<string, unknown>,
  fields: Record<string, unknown>,
  timing: StageTiming,
): Record<string, unknown> {
  return { ...value, ...fields, [STAGES_FIELD]: [...stagesOf(value), timing] };
}
