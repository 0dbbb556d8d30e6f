/**
 * `outcome`: turns what really happened to a decision (an outcomes-topic event: resolved, reopened, fraud
 * confirmed, sale won) into a `decision_outcomes` row (analytics/migrations/0008): the decision id, the actual
 * class (the event's own `actual_decision`, else its outcome label mapped through `labels`), the outcome time,
 * and, when the outcome was joined to its decision upstream (`join` with `window.on: decision_id`), the decided
 * class, model, variant and time to outcome. Unjoined outcomes are complete too: `decision_eval` reads the
 * decision side from agent_decisions. An outcome whose class cannot be told is dead-lettered.
 */
import { z } from "zod";
import { PoisonRecordError } from "../core/errors.ts";
import { DECISIONS } from "./agent-decision.ts";
import type { ProcessorContext } from "./api.ts";
import { defineProcessor } from "./define.ts";
import { readPath } from "./feature-vector.ts";
import { objectValue } from "./stage-timing.ts";

const decision = z.enum(DECISIONS);

export const outcomeConfig = z.strictObject({
  /** Field of a joined record holding the outcome event (the join's `as`); unset when the record is the outcome itself. @default the record is the outcome */
  joinedField: z.string().min(1).optional(),
  /** Outcome label → the decision that would have been right (`fraud_confirmed: flag_fraud`). @default {} */
  labels: z.record(z.string().min(1), decision).default({}),
  /** Field of the outcome event naming the right decision directly; wins over `labels`. @default "actual_decision" */
  actualField: z.string().min(1).default("actual_decision"),
  /** Field of the outcome event with its label. @default "outcome" */
  outcomeField: z.string().min(1).default("outcome"),
  /** Field of the outcome event with the decision id it is about. @default "decision_id" */
  decisionIdField: z.string().min(1).default("decision_id"),
  /** Field of the outcome event with its own id. @default "outcome_id" */
  idField: z.string().min(1).default("outcome_id"),
  /** Field of the outcome event with when it happened (epoch ms); the record timestamp when absent. @default "occurred_at" */
  timeField: z.string().min(1).default("occurred_at"),
});
export type OutcomeConfig = z.infer<typeof outcomeConfig>;

const text = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

export const outcomeProcessor = defineProcessor({
  type: "outcome",
  summary: "maps outcome events (joined to their decisions or not) to decision_outcomes rows with the actual class",
  config: outcomeConfig,
  create: (config) => {
    let ctx: ProcessorContext;
    return {
      init(context) {
        ctx = context;
      },
      process(record) {
        const value = objectValue(record.value, ctx.processorName);
        const event =
          config.joinedField === undefined
            ? value
            : (readPath(value, config.joinedField) as Record<string, unknown> | undefined);
        const joined = config.joinedField !== undefined;
        if (typeof event !== "object" || event === null) {
          throw new PoisonRecordError(`${ctx.processorName}: no outcome under ${config.joinedField}`);
        }
        const label = text(readPath(event, config.outcomeField));
        const named = decision.safeParse(readPath(event, config.actualField));
        const actual = named.success ? named.data : config.labels[label];
        if (actual === undefined) {
          throw new PoisonRecordError(
            `${ctx.processorName}: outcome ${JSON.stringify(label)} maps to no decision (add it to labels or set ${config.actualField})`,
          );
        }
        const decisionId = text(readPath(event, config.decisionIdField)) || (joined ? text(value.decision_id) : "");
        if (decisionId === "")
          throw new PoisonRecordError(`${ctx.processorName}: outcome has no ${config.decisionIdField}`);
        const at = Number(readPath(event, config.timeField));
        const outcomeMs = Number.isFinite(at) ? at : record.timestamp;
        const decidedAt = Number(value.decided_at);
        ctx.metrics.count(`actual_${actual}`);
        ctx.forward(
          record.withValue({
            decision_id: decisionId,
            outcome_id:
              text(readPath(event, config.idField)) ||
              `${record.source.topic}/${record.source.partition}@${record.source.offset}`,
            tenant_id: text(event.tenant_id) || text(value.tenant_id),
            outcome: label,
            actual_decision: actual,
            outcome_time: outcomeMs,
            outcome_ms: outcomeMs,
            joined: joined ? 1 : 0,
            application_id: joined ? text(value.application_id) : "",
            decision: joined ? text(value.decision) : "",
            model_id: joined ? text(value.model_id) : "",
            model_variant: joined ? text(value.model_variant) || "primary" : "",
            time_to_outcome_ms: joined && Number.isFinite(decidedAt) ? outcomeMs - decidedAt : null,
          }),
        );
      },
    };
  },
});
