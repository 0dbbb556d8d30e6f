/**
 * Spec `type` → processor definition. The topology spec composes these config schemas, the compiler builds
 * processors through their factories; adding a built-in means adding one line here.
 */
import { aggregateProcessor } from "./aggregate.ts";
import { branchProcessor } from "./branch.ts";
import { countProcessor } from "./count.ts";
import { customProcessor } from "./custom.ts";
import { decideProcessor } from "./decide.ts";
import { outcomeProcessor } from "./decision-outcome.ts";
import { dedupeProcessor } from "./dedupe.ts";
import type { ProcessorDefinition } from "./define.ts";
import { embedProcessor } from "./embed-tfjs.ts";
import { enrichProcessor } from "./enrich-lancedb.ts";
import { filterProcessor } from "./filter.ts";
import { inferProcessor } from "./infer-tfjs.ts";
import { joinProcessor } from "./join.ts";
import { mapProcessor } from "./map.ts";
import { recentProcessor } from "./recent.ts";
import { reduceProcessor } from "./reduce.ts";
import { rememberProcessor } from "./remember.ts";
import { routeProcessor } from "./route.ts";
import { toolProcessor } from "./tools/tool-processor.ts";

/** Every built-in, keyed by the `type` a topology names it with. */
export const processorRegistry = {
  filter: filterProcessor,
  map: mapProcessor,
  branch: branchProcessor,
  embed: embedProcessor,
  enrich: enrichProcessor,
  infer: inferProcessor,
  decide: decideProcessor,
  custom: customProcessor,
  count: countProcessor,
  aggregate: aggregateProcessor,
  reduce: reduceProcessor,
  join: joinProcessor,
  dedupe: dedupeProcessor,
  route: routeProcessor,
  recent: recentProcessor,
  remember: rememberProcessor,
  outcome: outcomeProcessor,
  tool: toolProcessor,
} as const;

export type ProcessorType = keyof typeof processorRegistry;
export const processorTypes = Object.keys(processorRegistry) as ProcessorType[];

/** The definition of `type`, or undefined for an unknown type. */
export function processorDefinition(type: string): ProcessorDefinition | undefined {
  return Object.hasOwn(processorRegistry, type)
    ? (processorRegistry[type as ProcessorType] as unknown as ProcessorDefinition)
    : undefined;
}

/** Processor types that forward records with the schema they received, so expression checks see through them. */
export const schemaPreservingTypes: ReadonlySet<string> = new Set(["filter", "branch"]);
