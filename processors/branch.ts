/**
 * `branch`: routes each record to the children whose CEL condition holds (the first match, or all matches),
 * else to a default child or nowhere. Route targets must be children of the branch node.
 */
import { z } from "zod";
import { ConfigError } from "../core/errors.ts";
import type { Processor, ProcessorContext, StreamRecord } from "./api.ts";
import { compileExpressions, evaluatePredicate, recordVariables, toAvroType } from "./cel.ts";
import { defineProcessor } from "./define.ts";

const targets = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const branchRoute = z.strictObject({
  /** CEL condition. */
  when: z.string().min(1),
  /** Child node name(s) that get the record when `when` holds. */
  to: targets,
});

export const branchConfig = z.strictObject({
  /** Conditions in order. */
  routes: z.array(branchRoute).min(1),
  /** Child node name(s) for records no route matches. @default unmatched records are dropped */
  default: targets.optional(),
  /** `first`: only the first matching route; `all`: every matching route. @default "first" */
  mode: z.enum(["first", "all"]).default("first"),
});
export type BranchConfig = z.infer<typeof branchConfig>;

function asList(value: string | string[]): string[] {
  return typeof value === "string" ? [value] : value;
}

/** Every child a branch config names, for the compiler's wiring check. */
export function branchTargets(config: BranchConfig): Array<{ path: string; target: string }> {
  const found = config.routes.flatMap((route, i) =>
    asList(route.to).map((target, j) => ({
      path: `routes[${i}].to${typeof route.to === "string" ? "" : `[${j}]`}`,
      target,
    })),
  );
  if (config.default !== undefined) {
    const d = config.default;
    found.push(...asList(d).map((target, j) => ({ path: `default${typeof d === "string" ? "" : `[${j}]`}`, target })));
  }
  return found;
}

export const branchProcessor = defineProcessor({
  type: "branch",
  summary: "routes records to children by CEL conditions",
  config: branchConfig,
  create: (config, env): Processor => {
    const conditions = compileExpressions(
      config.routes.map((route, i) => [`routes[${i}].when`, route.when] as const),
      env.inputSchema,
    );
    const valueType = env.inputSchema === undefined ? undefined : toAvroType(env.inputSchema);
    let context: ProcessorContext;
    return {
      init(ctx) {
        const unknown = branchTargets(config).filter(({ target }) => !ctx.children.includes(target));
        if (unknown.length > 0) {
          throw new ConfigError(
            unknown.map(({ path, target }) => ({
              path,
              message: `"${target}" is not a child of branch ${ctx.processorName} (children: ${ctx.children.join(", ") || "none"})`,
            })),
          );
        }
        context = ctx;
      },
      process(record: StreamRecord) {
        const variables = recordVariables(record, valueType);
        const chosen = new Set<string>();
        for (const [i, condition] of conditions.entries()) {
          if (!evaluatePredicate(condition, variables)) continue;
          for (const target of asList(config.routes[i]!.to)) chosen.add(target);
          if (config.mode === "first") break;
        }
        if (chosen.size === 0 && config.default !== undefined) for (const t of asList(config.default)) chosen.add(t);
        if (chosen.size === 0) context.metrics.count("unrouted");
        for (const target of chosen) context.forward(record, target);
      },
    };
  },
});
