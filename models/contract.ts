/**
 * What ships beside each model and binds it to the pipeline: the encoder's tokenizer and output contract, the
 * classifier's feature spec and labels. Training writes these sidecars; the processors read them back.
 */

import type { FeatureSpec } from "../processors/feature-vector.ts";
import { DEFAULT_HASHED_TEXT } from "../processors/hashed-text.ts";
import { CATEGORIES, TIERS } from "./synthetic.ts";

/** Field names the reference topology uses between stages. */
export const FIELDS = { embedding: "embedding", retrieval: "retrieval" } as const;

/** Sidecars of the encoder: `tokenizer.json` (hashed n-grams) and `encoder.json` (output contract). */
export function encoderSidecar(dim: number): Record<string, unknown> {
  return {
    "tokenizer.json": DEFAULT_HASHED_TEXT,
    "encoder.json": { dim, normalize: "l2", distance: "cosine" },
  };
}

/** The classifier's input row: the event's own features, its embedding and what retrieval found. */
export const CLASSIFIER_FEATURES: FeatureSpec[] = [
  { kind: "vector", path: FIELDS.embedding, dim: 64 },
  { kind: "onehot", path: "customer_tier", values: [...TIERS] },
  { kind: "number", path: "amount", transform: "log1p", scale: 10, missing: 0 },
  { kind: "number", path: "prior_tickets", transform: "log1p", scale: 2, missing: 0 },
  { kind: "number", path: "sentiment", transform: "identity", scale: 1, missing: 0 },
  { kind: "number", path: "account_age_days", transform: "identity", scale: 2000, missing: 0 },
  { kind: "share", path: `${FIELDS.retrieval}.fields.category`, values: [...CATEGORIES] },
  { kind: "reduce", path: `${FIELDS.retrieval}.distances`, op: "min", empty: 1 },
  { kind: "reduce", path: `${FIELDS.retrieval}.distances`, op: "mean", empty: 1 },
];
