/**
 * Builds the classifier's training rows the way the pipeline will see records: the event, its embedding and a
 * `retrieval` object shaped like the enrich processor's output, turned into numbers by the shipped feature spec.
 */
import { featureWidth, writeFeatures } from "../processors/feature-vector.ts";
import { CLASSIFIER_FEATURES, FIELDS } from "./contract.ts";
import type { Neighbours } from "./evaluate.ts";
import { DECISIONS, type KnowledgeBaseDoc, type LabelledEvent } from "./synthetic.ts";

export interface ClassifierRows {
  matrix: Float32Array;
  labels: number[];
  width: number;
}

export function buildClassifierRows(
  events: readonly LabelledEvent[],
  embeddings: Float32Array,
  neighbours: readonly Neighbours[],
  kb: readonly KnowledgeBaseDoc[],
  dim: number,
): ClassifierRows {
  const width = featureWidth(CLASSIFIER_FEATURES);
  const matrix = new Float32Array(events.length * width);
  events.forEach((e, i) => {
    const n = neighbours[i] ?? { ids: [], distances: [] };
    const value = {
      ...e.event,
      [FIELDS.embedding]: Array.from(embeddings.subarray(i * dim, (i + 1) * dim)),
      [FIELDS.retrieval]: {
        ids: n.ids.map((d) => kb[d]?.doc_id),
        distances: n.distances,
        fields: { category: n.ids.map((d) => kb[d]?.category) },
      },
    };
    writeFeatures(value, CLASSIFIER_FEATURES, matrix, i * width);
  });
  return { matrix, labels: events.map((e) => DECISIONS.indexOf(e.decision)), width };
}
