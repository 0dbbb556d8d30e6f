/**
 * `map`: projects each record's value through CEL expressions (`fields: {name: expr}`), optionally keeping the
 * other fields and re-keying the record. The source lineage is kept.
 */
import { z } from "zod";
import { PoisonRecordError } from "../core/errors.ts";
import type { Processor, ProcessorContext, StreamRecord } from "./api.ts";
import { compileExpression, compileExpressions, recordVariables, toAvroType } from "./cel.ts";
import { defineProcessor } from "./define.ts";

export const mapConfig = z.strictObject({
  /** Output field name → CEL expression giving its value. */
  fields: z.record(z.string().min(1), z.string().min(1)),
  /** Start from the input value and set `fields` on top, instead of an object of `fields` only. @default false */
  keepOthers: z.boolean().default(false),
  /** CEL expression whose result (as text) becomes the record key. @default the key is kept */
  key: z.string().min(1).optional(),
});
export type MapConfig = z.infer<typeof mapConfig>;

function keyText(result: unknown): string | null {
  if (result === null) return null;
  if (typeof result === "string") return result;
  if (typeof result === "number" || typeof result === "boolean" || typeof result === "bigint") return String(result);
  if (Buffer.isBuffer(result)) return result.toString("utf8");
  throw new PoisonRecordError(`map key expression gave ${JSON.stringify(result)}, not a scalar`);
}

export const mapProcessor = defineProcessor({
  type: "map",
  summary: "projects values through CEL expressions",
  config: mapConfig,
  create: (config, env): Processor => {
    const names = Object.keys(config.fields);
    const expressions = compileExpressions(
      names.map((name) => [`fields.${name}`, config.fields[name]!] as const),
      env.inputSchema,
    );
    const keyExpression = config.key === undefined ? undefined : compileExpression(config.key, "key", env.inputSchema);
    const valueType = env.inputSchema === undefined ? undefined : toAvroType(env.inputSchema);
    let context: ProcessorContext;
    return {
      init(ctx) {
        context = ctx;
      },
      process(record: StreamRecord) {
        const variables = recordVariables(record, valueType);
        const base =
          config.keepOthers && typeof record.value === "object" && record.value !== null
            ? { ...(record.value as Record<string, unknown>) }
            : {};
        const value: Record<string, unknown> = base;
        expressions.forEach((expression, i) => {
          value[names[i]!] = expression.evaluate(variables);
        });
        let out = record.withValue(value);
        if (keyExpression !== undefined) out = out.withKey(keyText(keyExpression.evaluate(variables)));
        context.forward(out);
      },
    };
  },
});
