/**
 * `decide`: turns classifier scores and retrieval results into an agent decision. CEL rules are tried in order
 * and the first that matches wins; otherwise the top class decides if its score reaches its threshold, else the
 * fallback. Emits an `AgentDecision` (schemas/agent-decision.avsc) with the reason and full lineage.
 */
import { z } from "zod";
import { PoisonRecordError } from "../core/errors.ts";
import { agentDecision, DECISIONS, type Decision, type ShadowVerdict, type Verdict } from "./agent-decision.ts";
import type { ProcessorContext, StreamRecord } from "./api.ts";
import { type CompiledExpression, compileExpressions, recordVariables } from "./cel.ts";
import { defineProcessor } from "./define.ts";
import { readPath } from "./feature-vector.ts";
import { objectValue } from "./stage-timing.ts";

const decision = z.enum(DECISIONS);
const unit = z.number().min(0).max(1);

export const decideConfig = z
  .object({
    /** Tried in order; the first whose CEL `when` is true decides. Variables: value, key, headers, topic, partition, offset, timestamp. @default [] */
    rules: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          when: z.string().min(1),
          decision,
          /** @default the classifier's score for `decision`, else 1 */
          confidence: unit.optional(),
        }),
      )
      .default([]),
    /** Minimum score of the top class for it to decide, per class. @default 0.5 for each class */
    thresholds: z.partialRecord(decision, unit).default({}),
    /** Decision when no rule matches and the top class is below its threshold. @default "escalate_to_human" */
    fallback: decision.default("escalate_to_human"),
    /** Field written by `infer`. @default "inference" */
    inferenceField: z.string().min(1).default("inference"),
    /** Field written by `enrich`. @default "retrieval" */
    retrievalField: z.string().min(1).default("retrieval"),
    /** Field with the encoder's model id (written by `embed`). @default "embedding_model_id" */
    encoderModelField: z.string().min(1).default("embedding_model_id"),
    /** Header (or value field) with the writer schema id. @default "sluice-writer-schema-id" (set by the runtime's decode step) */
    writerSchemaIdHeader: z.string().min(1).default("sluice-writer-schema-id"),
    /** Event-time field of the value (epoch ms); the record timestamp when absent. @default "event_time" */
    eventTimeField: z.string().min(1).default("event_time"),
  })
  .strict();
export type DecideConfig = z.infer<typeof decideConfig>;

const DEFAULT_THRESHOLD = 0.5;

/** Applies thresholds to the classifier scores. */
export function thresholdVerdict(scores: Record<string, number>, config: DecideConfig): Verdict {
  const [label, score] = Object.entries(scores).reduce(
    (best, e) => (e[1] > best[1] ? e : best),
    ["", Number.NEGATIVE_INFINITY],
  );
  const parsed = decision.safeParse(label);
  if (!parsed.success) throw new PoisonRecordError(`decide: top class ${JSON.stringify(label)} is not a decision`);
  const min = config.thresholds[parsed.data] ?? DEFAULT_THRESHOLD;
  if (score >= min)
    return { decision: parsed.data, confidence: score, reason: `threshold:${label} ${score.toFixed(3)} >= ${min}` };
  return {
    decision: config.fallback,
    confidence: scores[config.fallback] ?? 1 - score,
    reason: `below_threshold:${label} ${score.toFixed(3)} < ${min}`,
  };
}

export const decideProcessor = defineProcessor({
  type: "decide",
  summary: "CEL rules, then score thresholds → auto_resolve | escalate_to_human | route_to_sales | flag_fraud",
  config: decideConfig,
  create: (config) => {
    // No input-schema field check: by this stage values carry fields (inference, retrieval) the Avro schema lacks.
    const rules: CompiledExpression[] = compileExpressions(
      config.rules.map((r, i) => [`rules[${i}].when`, r.when] as const),
    );
    let ctx: ProcessorContext;

    const verdictOf = (record: StreamRecord, scores: Record<string, number>): Verdict => {
      if (rules.length > 0) {
        const variables = recordVariables(record);
        for (let i = 0; i < rules.length; i++) {
          const rule = config.rules[i] as DecideConfig["rules"][number];
          if ((rules[i] as CompiledExpression).evaluate(variables) === true) {
            return {
              decision: rule.decision,
              confidence: rule.confidence ?? scores[rule.decision] ?? 1,
              reason: `rule:${rule.name}`,
            };
          }
        }
      }
      return thresholdVerdict(scores, config);
    };

    /**
     * What the same rules and thresholds decide on each shadow model's scores (the record seen with the shadow's
     * inference in place of the acted-on one). A shadow whose scores cannot decide is counted and left out.
     */
    const shadowVerdicts = (record: StreamRecord, value: Record<string, unknown>): ShadowVerdict[] => {
      const entries = readPath(value, `${config.inferenceField}.shadow`);
      if (!Array.isArray(entries) || entries.length === 0) return [];
      const verdicts: ShadowVerdict[] = [];
      for (const entry of entries as { candidate_id: string; model_id: string; scores: Record<string, number> }[]) {
        try {
          const seen = record.withValue({ ...value, [config.inferenceField]: entry });
          const v = verdictOf(seen, entry.scores);
          verdicts.push({ candidate_id: entry.candidate_id, model_id: entry.model_id, ...v, scores: entry.scores });
        } catch (error) {
          if (!(error instanceof PoisonRecordError)) throw error;
          ctx.metrics.count("shadow_undecided");
        }
      }
      return verdicts;
    };

    return {
      init(context) {
        ctx = context;
      },
      process(record) {
        const started = ctx.now();
        const t0 = performance.now();
        const value = objectValue(record.value, ctx.processorName);
        const scores = readPath(value, `${config.inferenceField}.scores`) as Record<string, number> | undefined;
        if (!scores || Object.values(scores).some((s) => typeof s !== "number" || !Number.isFinite(s))) {
          throw new PoisonRecordError(
            `${ctx.processorName}: ${config.inferenceField}.scores is missing or has a NaN score`,
          );
        }
        const verdict: Verdict = verdictOf(record, scores);
        const shadow = shadowVerdicts(record, value);
        const stage = {
          name: ctx.processorName,
          started_at: started,
          duration_ms: performance.now() - t0,
          batch_size: 1,
        };
        ctx.metrics.count(`decision_${verdict.decision satisfies Decision}`);
        ctx.forward(record.withValue(agentDecision(record, value, verdict, config, ctx, stage, shadow)));
      },
    };
  },
});
