/**
 * `decide`: turns classifier scores and retrieval results into an agent decision. CEL rules are tried in order
 * and the first that matches wins; otherwise the top class decides if its score reaches its threshold, else the
 * fallback. Emits an `AgentDecision` (schemas/agent-decision.avsc) with the reason and full lineage. A rule with
 * `requireApproval` holds its decision for a human verdict instead (processors/approval-hold.ts, docs/approvals.md).
 */
import { z } from "zod";
import { ConfigError, PoisonRecordError } from "../core/errors.ts";
import { agentDecision, DECISIONS, type Decision, type ShadowVerdict, type Verdict } from "./agent-decision.ts";
import type { ProcessorContext, StreamRecord } from "./api.ts";
import { type ApprovalConfig, ApprovalHold, approvalConfig, requireApprovalConfig } from "./approval-hold.ts";
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
          /** Hold this rule's decisions until a human approves or rejects them (needs `approval`). @default not held */
          requireApproval: requireApprovalConfig.optional(),
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
    /** Where approval requests go and verdicts come from; required when a rule has `requireApproval`. @default none */
    approval: approvalConfig.optional(),
  })
  .strict()
  .refine((c) => c.approval !== undefined || !c.rules.some((r) => r.requireApproval), {
    message: "a rule with requireApproval needs the node's `approval: { topic, requests }`",
    path: ["approval"],
  })
  .refine(
    (c) => c.approval?.expired !== undefined || !c.rules.some((r) => r.requireApproval?.onExpiry === "dead-letter"),
    {
      message: "onExpiry: dead-letter needs `approval.expired` (the child that receives expired decisions)",
      path: ["approval"],
    },
  );
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

/** `approval.requests` and `approval.expired` must name children of the node. */
function checkApprovalChildren(approval: ApprovalConfig, children: readonly string[], node: string): void {
  for (const [field, child] of [
    ["requests", approval.requests],
    ["expired", approval.expired],
  ] as const) {
    if (child !== undefined && !children.includes(child)) {
      throw new ConfigError([
        {
          path: `approval.${field}`,
          message: `${JSON.stringify(child)} is not a child of ${node} (children: ${children.join(", ") || "none"}): add a node with \`from\` this one`,
        },
      ]);
    }
  }
}

export const decideProcessor = defineProcessor({
  type: "decide",
  summary: "CEL rules, then score thresholds → auto_resolve | escalate_to_human | route_to_sales | flag_fraud",
  config: decideConfig,
  stores: (config, node) => (config.approval ? [{ name: config.approval.store ?? node, kind: "keyValue" }] : []),
  punctuation: (config) =>
    config.approval ? [{ topic: config.approval.topic, intervalMs: config.approval.tickMs }] : [],
  create: (config, env) => {
    if (config.approval && env.children) checkApprovalChildren(config.approval, env.children, "this node");
    // No input-schema field check: by this stage values carry fields (inference, retrieval) the Avro schema lacks.
    const rules: CompiledExpression[] = compileExpressions(
      config.rules.map((r, i) => [`rules[${i}].when`, r.when] as const),
    );
    let ctx: ProcessorContext;
    let hold: ApprovalHold | undefined;
    /** Index of the rule behind the last verdict, -1 for thresholds. */
    let matched = -1;
    const approval = config.approval;

    const verdictOf = (record: StreamRecord, scores: Record<string, number>): Verdict => {
      matched = -1;
      if (rules.length > 0) {
        const variables = recordVariables(record);
        for (let i = 0; i < rules.length; i++) {
          const rule = config.rules[i] as DecideConfig["rules"][number];
          if ((rules[i] as CompiledExpression).evaluate(variables) === true) {
            matched = i;
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
        if (approval === undefined) return;
        checkApprovalChildren(approval, context.children, context.processorName);
        hold = new ApprovalHold(approval, context);
      },
      close() {
        hold?.close();
      },
      process(record) {
        if (hold !== undefined && record.source.topic === approval?.topic) {
          hold.verdict(record);
          return;
        }
        hold?.expire();
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
        const rule = matched >= 0 ? config.rules[matched] : undefined;
        const shadow = shadowVerdicts(record, value);
        const stage = {
          name: ctx.processorName,
          started_at: started,
          duration_ms: performance.now() - t0,
          batch_size: 1,
        };
        const decided = agentDecision(record, value, verdict, config, ctx, stage, shadow);
        if (hold !== undefined && rule?.requireApproval !== undefined) {
          hold.hold(record, decided, rule.name, rule.requireApproval);
          return;
        }
        ctx.metrics.count(`decision_${verdict.decision satisfies Decision}`);
        const skip = [approval?.requests, approval?.expired];
        if (approval === undefined) ctx.forward(record.withValue(decided));
        else for (const child of ctx.children) if (!skip.includes(child)) ctx.forward(record.withValue(decided), child);
      },
    };
  },
});
