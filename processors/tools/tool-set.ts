/**
 * The tools of a topology in one process: built from the `tools:` section once and shared by every task (limits,
 * budgets and circuit breakers are per tool per process, not per task), opened lazily, closed when the last task
 * that uses them closes.
 */
import { HttpTransport } from "./http-transport.ts";
import { McpTransport } from "./mcp-transport.ts";
import { ModuleTransport } from "./module-transport.ts";
import { ToolHandle } from "./tool-handle.ts";
import type { ToolSpec } from "./tool-spec.ts";
import type { ToolTransport } from "./transport.ts";

/** A transport for `spec`; throws `ConfigError` for what only shows when it is built (a missing module file). */
export function createTransport(spec: ToolSpec, baseDir: string): ToolTransport {
  const t = spec.transport;
  switch (t.type) {
    case "http":
      return new HttpTransport(spec.name, t);
    case "mcp":
      return new McpTransport(spec.name, t);
    case "module":
      return new ModuleTransport(spec.name, t, baseDir);
  }
}

export class ToolSet {
  private readonly handles = new Map<string, ToolHandle>();
  private users = 0;

  constructor(
    private readonly specs: readonly ToolSpec[],
    private readonly baseDir: string,
    private readonly topology: string,
  ) {}

  /** The declared tool `name`, or undefined. */
  spec(name: string): ToolSpec | undefined {
    return this.specs.find((s) => s.name === name);
  }

  /** The shared handle of tool `name` (built on first use). */
  handle(name: string): ToolHandle {
    let handle = this.handles.get(name);
    if (handle === undefined) {
      const spec = this.spec(name);
      if (spec === undefined) throw new Error(`no tool named "${name}"`);
      handle = new ToolHandle(spec, createTransport(spec, this.baseDir), this.topology);
      this.handles.set(name, handle);
    }
    return handle;
  }

  acquire(): this {
    this.users++;
    return this;
  }

  /** Called by each user's close; the last one closes the transports. */
  async release(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return;
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.allSettled(handles.map((h) => h.close()));
  }
}

const sets = new WeakMap<readonly ToolSpec[], ToolSet>();

/** The process's tool set for one `tools:` section (the same array object for every task of a topology). */
export function toolSetFor(specs: readonly ToolSpec[], baseDir: string, topology: string): ToolSet {
  let set = sets.get(specs);
  if (set === undefined) {
    set = new ToolSet(specs, baseDir, topology);
    sets.set(specs, set);
  }
  return set;
}
