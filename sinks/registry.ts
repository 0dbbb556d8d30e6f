/**
 * Spec `type` → sink definition, beside `processors/registry.ts`. The topology spec composes these config
 * schemas and the runtime builds every sink node through their factories; adding a sink means one line here.
 */
import { clickhouseSinkDefinition } from "./clickhouse.ts";
import { deadLetterSinkDefinition } from "./dead-letter.ts";
import type { SinkDefinition } from "./define.ts";
import { kafkaSinkDefinition } from "./kafka.ts";

/** Every sink type, keyed by the `type` a topology names it with. */
export const sinkRegistry = {
  kafka: kafkaSinkDefinition,
  clickhouse: clickhouseSinkDefinition,
  "dead-letter": deadLetterSinkDefinition,
} as const;

/** A sink `type` a topology may name. */
export type SinkType = keyof typeof sinkRegistry;
/** Every sink type, in registry order. */
export const sinkTypes = Object.keys(sinkRegistry) as SinkType[];

/** The definition of `type`, or undefined for an unknown type. */
export function sinkDefinition(type: string): SinkDefinition | undefined {
  return Object.hasOwn(sinkRegistry, type) ? (sinkRegistry[type as SinkType] as unknown as SinkDefinition) : undefined;
}
