/**
 * Lifecycle states as a transition table that rejects illegal moves (Kafka Streams' StreamThread.State):
 * a bug that would, say, consume after shutdown began fails loudly instead of losing records.
 */

/** The states of one consumer-group member. */
export type ApplicationState = "created" | "starting" | "running" | "rebalancing" | "draining" | "stopped" | "failed";

const APPLICATION_TRANSITIONS: Record<ApplicationState, readonly ApplicationState[]> = {
  created: ["starting", "stopped"],
  starting: ["running", "rebalancing", "draining", "failed"],
  running: ["rebalancing", "draining", "failed"],
  rebalancing: ["running", "draining", "failed"],
  draining: ["stopped", "failed"],
  stopped: [],
  failed: ["stopped"],
};

/**
 * The states of one task. A task waiting on a failing dependency stays `running` (it retries; the
 * `sluice_partition_paused` gauge shows the wait), so there is no paused state.
 */
export type TaskState = "created" | "running" | "closing" | "closed";

const TASK_TRANSITIONS: Record<TaskState, readonly TaskState[]> = {
  created: ["running", "closing"],
  running: ["closing"],
  closing: ["closed"],
  closed: [],
};

/** Holds a state and moves it only along the table's edges. */
export class StateMachine<S extends string> {
  private current: S;
  private readonly listeners: ((from: S, to: S) => void)[] = [];

  constructor(
    private readonly what: string,
    initial: S,
    private readonly table: Record<S, readonly S[]>,
  ) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  /** Moves to `next`; throws on an illegal transition. Moving to the current state is a no-op. */
  to(next: S): void {
    if (next === this.current) return;
    if (!this.table[this.current].includes(next)) {
      throw new Error(`${this.what}: illegal state transition ${this.current} → ${next}`);
    }
    const from = this.current;
    this.current = next;
    for (const listener of this.listeners) listener(from, next);
  }

  is(...states: S[]): boolean {
    return states.includes(this.current);
  }

  onChange(listener: (from: S, to: S) => void): void {
    this.listeners.push(listener);
  }
}

export function applicationStateMachine(name: string): StateMachine<ApplicationState> {
  return new StateMachine<ApplicationState>(`application ${name}`, "created", APPLICATION_TRANSITIONS);
}

export function taskStateMachine(taskId: string): StateMachine<TaskState> {
  return new StateMachine<TaskState>(`task ${taskId}`, "created", TASK_TRANSITIONS);
}
