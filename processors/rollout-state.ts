/**
 * Rollout weights a running process applies on top of the topology's own: the control topic reader
 * (topologies/runtime/control-reader.ts) writes here, and every `infer` instance of that application reads the
 * current weights once per micro-batch, so a change takes effect at a batch boundary, never inside a batch.
 * Process-wide on purpose: a member's tasks all follow the group's one control topic.
 */

/** What a rollout set for one `infer` node: candidate id → canary weight (0 turns it off). */
export interface RolloutWeights {
  readonly weights: Readonly<Record<string, number>>;
  /** Monotonic per control key (the control record's offset). */
  readonly version: number;
}

const state = new Map<string, RolloutWeights>();
const keyOf = (applicationId: string, processor: string) => `${applicationId}\u0000${processor}`;

/** The control topic of an application: compacted, one record per `infer` node, read by every member. */
export const controlTopic = (applicationId: string) => `${applicationId}-control`;

/** The control record key of an `infer` node. */
export const rolloutKey = (processor: string) => `rollout/${processor}`;

export const rollouts = {
  /** Applies a rollout unless an equal or newer version was applied already. Returns whether it changed. */
  apply(applicationId: string, processor: string, update: RolloutWeights): boolean {
    const key = keyOf(applicationId, processor);
    const current = state.get(key);
    if (current && current.version >= update.version) return false;
    state.set(key, update);
    return true;
  },
  current(applicationId: string, processor: string): RolloutWeights | undefined {
    return state.get(keyOf(applicationId, processor));
  },
  /** Forgets every rollout (tests). */
  reset(): void {
    state.clear();
  },
};
