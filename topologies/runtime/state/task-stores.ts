/**
 * The stores of one task: opened from their declarations, handed to processors through `ctx.store(name)`, and
 * written per micro-batch: `begin()` before a batch, `commit()` after it succeeded (engine writes applied, the
 * changes queued for the changelog), `abort()` when it is retried. The runtime takes the queued changes with
 * `takeChangelog()` and sends them once the batch's sink outputs are acknowledged, before the batch's offsets may
 * be committed; restoration writes straight to the engines with `restore()`. Eager stores (`eager-store.ts`)
 * skip the batch: their writes reach the engine and the changelog at once, through `eagerLog`.
 */
import type { StateStore, StoreDeclaration, StoreProvider } from "../../../processors/stores.ts";
import { KeyValueWindowStore } from "../../../processors/window-store.ts";
import { BufferedStore } from "./buffered-store.ts";
import { EagerChangelog } from "./eager-changelog.ts";
import { EagerStore } from "./eager-store.ts";
import type { EngineFactory, EngineWrite, StoreEngine } from "./engine.ts";

/** One change for the changelog topic `<applicationId>-<store>-changelog`. */
export interface ChangelogWrite extends EngineWrite {
  readonly store: string;
}

interface Opened {
  declaration: StoreDeclaration;
  /** Batch stores: the write buffer. Eager stores have none. */
  buffered: BufferedStore | undefined;
  engine: StoreEngine;
  view: StateStore;
}

export class TaskStores implements StoreProvider {
  private readonly opened = new Map<string, Opened>();
  private queued: ChangelogWrite[] = [];
  /** The eager stores' changelog path, when the task has a changelog (not in the test driver). */
  readonly eagerLog: EagerChangelog | undefined;

  constructor(
    readonly taskId: string,
    declarations: readonly StoreDeclaration[],
    engines: EngineFactory,
    now: () => number,
    /** Sends eager stores' writes as they are made (the task's changelog writer). @default the engine alone */
    sendEager?: (writes: readonly ChangelogWrite[]) => Promise<unknown>,
  ) {
    this.eagerLog = sendEager ? new EagerChangelog(sendEager) : undefined;
    for (const declaration of declarations) {
      if (this.opened.has(declaration.name)) continue;
      const engine = engines(taskId, declaration.name);
      if (declaration.eager) {
        if (declaration.kind !== "keyValue")
          throw new Error(`store ${declaration.name}: only key-value stores can be eager`);
        const log = declaration.changelog === false ? undefined : this.eagerLog;
        const view = new EagerStore(declaration.name, engine, now, log);
        this.opened.set(declaration.name, { declaration, buffered: undefined, engine, view });
        continue;
      }
      const buffered = new BufferedStore(declaration.name, engine, now);
      const view = declaration.kind === "window" ? new KeyValueWindowStore(buffered) : buffered;
      this.opened.set(declaration.name, { declaration, buffered, engine, view });
    }
  }

  get declarations(): StoreDeclaration[] {
    return [...this.opened.values()].map((o) => o.declaration);
  }

  store(name: string): StateStore {
    const opened = this.opened.get(name);
    if (opened === undefined) {
      const names = [...this.opened.keys()];
      throw new Error(
        `no state store named "${name}" in task ${this.taskId} (declared: ${names.length > 0 ? names.join(", ") : "none"})`,
      );
    }
    return opened.view;
  }

  /** The engine of `name`, for restoration and inspection. */
  engine(name: string): StoreEngine {
    const opened = this.opened.get(name);
    if (opened === undefined) throw new Error(`no state store named "${name}" in task ${this.taskId}`);
    return opened.engine;
  }

  /** Starts a batch: anything a failed batch left buffered is dropped. */
  begin(): void {
    this.abort();
  }

  /** Makes the batch's writes local and queues them for the changelog; returns how many changes were queued. */
  commit(): number {
    let changes = 0;
    for (const { declaration, buffered } of this.opened.values()) {
      if (!buffered?.dirty) continue;
      const writes = buffered.flush();
      changes += writes.length;
      if (declaration.changelog !== false) {
        for (const write of writes) this.queued.push({ store: declaration.name, ...write });
      }
    }
    return changes;
  }

  abort(): void {
    for (const { buffered } of this.opened.values()) buffered?.discard();
  }

  /** The changes committed since the last call, for the changelog writer. */
  takeChangelog(): ChangelogWrite[] {
    const out = this.queued;
    this.queued = [];
    return out;
  }

  /** Applies restored changelog records to the engine of `store`. */
  restore(store: string, writes: readonly EngineWrite[]): void {
    this.engine(store).write(writes);
  }

  /** Resolves once every eager write so far is acknowledged. */
  drainEager(): Promise<void> {
    return this.eagerLog?.drain() ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.eagerLog?.close();
    for (const { engine } of this.opened.values()) await engine.close();
    this.opened.clear();
  }
}
