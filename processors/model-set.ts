/**
 * The model versions one `infer` node runs: a primary and candidates. A `shadow` candidate scores every record
 * and its result is recorded beside the acted-on one, never acted on. A `canary` candidate acts for its weight's
 * share of keys (`model-split.ts`, sticky per key). A rollout (`sluice rollout`, read from the control topic
 * into `rollout-state.ts`) overrides the weights; a shadow given a weight acts as a canary, a canary set to 0
 * goes back to the primary.
 */
import path from "node:path";
import { z } from "zod";
import { type LoadedClassifier, loadClassifier } from "./classifier.ts";
import { type CanaryWeight, canaryFor, keyBucket } from "./model-split.ts";
import { type RolloutWeights, rollouts } from "./rollout-state.ts";

export const candidateConfig = z.strictObject({
  /** Name of this candidate in lineage, rollouts and `shadow_decisions` (`sluice rollout … --model <id>`). */
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, . _ - only"),
  /** Model folder, relative to the topology file. */
  model: z.string().min(1),
  /** `shadow`: scored and recorded, never acted on; `canary`: acts for `weight` of the keys. */
  mode: z.enum(["shadow", "canary"]),
  /** Share of keys a canary acts for, 0..1 (ignored for shadows until a rollout gives one). @default 0 */
  weight: z.number().min(0).max(1).default(0),
});
export type CandidateConfig = z.infer<typeof candidateConfig>;

/** The candidates list, checked: unique ids, canary weights summing to at most 1. */
export const candidatesConfig = z
  .array(candidateConfig)
  .default([])
  .refine((list) => new Set(list.map((c) => c.id)).size === list.length, { message: "candidate ids must be unique" })
  .refine((list) => list.reduce((sum, c) => sum + (c.mode === "canary" ? c.weight : 0), 0) <= 1 + 1e-9, {
    message: "canary weights add up to more than 1",
  });

export interface Candidate {
  readonly id: string;
  readonly configured: CandidateConfig;
  readonly model: LoadedClassifier;
}

/** Which models score a batch and which one acts for each key, under the weights of that moment. */
export interface BatchPlan {
  /** Canaries with a positive weight, in topology order. */
  readonly canaries: readonly CanaryWeight[];
  /** Candidates that score every record without acting. */
  readonly shadows: readonly Candidate[];
  /** Rollout version applied (-1: the topology's own weights). */
  readonly rolloutVersion: number;
  /** The candidate acting for `key`, or undefined for the primary. */
  actingFor(key: Buffer | string | null): Candidate | undefined;
}

export class ModelSet {
  private constructor(
    readonly primary: LoadedClassifier,
    readonly candidates: readonly Candidate[],
  ) {}

  static async load(baseDir: string, primary: string, candidates: readonly CandidateConfig[]): Promise<ModelSet> {
    const main = await loadClassifier(path.resolve(baseDir, primary));
    const loaded = await Promise.all(
      candidates.map(async (c) => ({
        id: c.id,
        configured: c,
        model: await loadClassifier(path.resolve(baseDir, c.model)),
      })),
    );
    return new ModelSet(main, loaded);
  }

  /** Every model of the set, primary first. */
  get models(): LoadedClassifier[] {
    return [this.primary, ...this.candidates.map((c) => c.model)];
  }

  /** The plan for one micro-batch: the topology's weights, overridden by the latest rollout of this node. */
  plan(rollout: RolloutWeights | undefined): BatchPlan {
    const weightOf = (c: Candidate): number => {
      const override = rollout?.weights[c.id];
      if (override !== undefined) return override;
      return c.configured.mode === "canary" ? c.configured.weight : 0;
    };
    const acting = this.candidates.filter((c) => weightOf(c) > 0);
    const canaries = acting.map((c) => ({ id: c.id, weight: weightOf(c) }));
    const byId = new Map(acting.map((c) => [c.id, c]));
    return {
      canaries,
      shadows: this.candidates.filter((c) => c.configured.mode === "shadow" && weightOf(c) === 0),
      rolloutVersion: rollout?.version ?? -1,
      actingFor: (key) => {
        if (canaries.length === 0) return undefined;
        const id = canaryFor(keyBucket(key), canaries);
        return id === undefined ? undefined : byId.get(id);
      },
    };
  }

  /** `plan` under the weights the control topic last set for `processor` of `applicationId`. */
  planFor(applicationId: string, processor: string): BatchPlan {
    return this.plan(rollouts.current(applicationId, processor));
  }
}
