/**
 * The stores of a topology: those declared in its `stores:` section and those its DSL operators imply (a
 * `count` node keeps its windows in a store named after it). Names must be unique; the compiler reports a clash
 * at the node or store that repeats a name.
 */
import { z } from "zod";
import { agentStepName } from "../processors/agents-api.ts";
import { processorDefinition } from "../processors/registry.ts";
import type { StoreDeclaration } from "../processors/stores.ts";
import type { TopologySpec } from "./spec.ts";

/** A store a custom processor reaches with `ctx.store(name)`. */
export const storeSpec = z.strictObject({
  /** Also the middle of its changelog topic's name, `<applicationId>-<name>-changelog`. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  /** `keyValue` (get, put, delete, range, prefix, TTL) or `window` (values per key per window). @default "keyValue" */
  kind: z.enum(["keyValue", "window"]).default("keyValue"),
  /** Log every write to the compacted changelog topic, so the store is restored when its task moves. @default true */
  changelog: z.boolean().default(true),
});
export type StoreSpec = z.infer<typeof storeSpec>;

/** Where a store's declaration sits in the spec, for error positions. */
export interface LocatedStore extends StoreDeclaration {
  readonly path: Array<string | number>;
}

/** Every store of `spec`, declared ones first, each with the spec path that declares it. */
export function locatedStores(spec: TopologySpec): LocatedStore[] {
  const out: LocatedStore[] = (spec.stores ?? []).map((store, index) => ({
    ...store,
    path: ["stores", index, "name"],
  }));
  spec.processors.forEach((processor, index) => {
    const definition = processorDefinition(processor.type);
    const config = (processor as Record<string, unknown>)[processor.type];
    for (const store of definition?.stores?.(config as never, processor.name) ?? []) {
      out.push({ ...store, path: ["processors", index, "name"] });
    }
  });
  out.push(...agentStores(spec));
  return out;
}

/** The stores the agents' steps declare (a `recent` step keeps its events in a store named `<agent>.<step>`). */
export function agentStores(spec: TopologySpec): Array<StoreDeclaration & { path: Array<string | number> }> {
  return (spec.agents ?? []).flatMap((agent, i) =>
    agent.processors.flatMap((step, j) => {
      const definition = processorDefinition(step.type);
      const config = step[step.type];
      return (definition?.stores?.(config as never, agentStepName(agent.id, step.name)) ?? []).map((store) => ({
        ...store,
        path: ["agents", i, "processors", j, "name"],
      }));
    }),
  );
}

/** Every store of `spec` (what a task opens). */
export function storeDeclarations(spec: TopologySpec): StoreDeclaration[] {
  return locatedStores(spec).map(({ path: _path, ...declaration }) => declaration);
}

/** Reports every store name used twice. */
export function checkStores(spec: TopologySpec, report: (path: Array<string | number>, message: string) => void): void {
  const seen = new Map<string, LocatedStore>();
  for (const store of locatedStores(spec)) {
    const first = seen.get(store.name);
    if (first === undefined) seen.set(store.name, store);
    else report(store.path, `store "${store.name}" is already declared at ${first.path.join(".")}`);
  }
}

/** The changelog topic of store `store`. */
export function changelogTopic(applicationId: string, store: string): string {
  return `${applicationId}-${store}-changelog`;
}
