/**
 * Quality measures the training script reports: exact tenant-filtered top-k retrieval (the same cosine
 * distance LanceDB computes), recall@k of the right category, classifier accuracy and macro F1.
 */

export interface Neighbours {
  ids: number[];
  distances: number[];
}

/**
 * Exact top-k by cosine distance (1 − dot of unit vectors) among the documents of the query's tenant.
 * `docs` and `queries` are row-major matrices of unit vectors of width `dim`.
 */
export function topKByTenant(
  queries: Float32Array,
  queryTenants: readonly string[],
  docs: Float32Array,
  docTenants: readonly string[],
  dim: number,
  k: number,
): Neighbours[] {
  const byTenant = new Map<string, number[]>();
  docTenants.forEach((t, i) => {
    const list = byTenant.get(t) ?? [];
    list.push(i);
    byTenant.set(t, list);
  });
  return queryTenants.map((tenant, q) => {
    const scored = (byTenant.get(tenant) ?? []).map((d) => {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += (queries[q * dim + j] ?? 0) * (docs[d * dim + j] ?? 0);
      return { d, distance: 1 - dot };
    });
    scored.sort((a, b) => a.distance - b.distance);
    const top = scored.slice(0, k);
    return { ids: top.map((s) => s.d), distances: top.map((s) => s.distance) };
  });
}

/**
 * Retrieval quality: `precision` = share of the top-k documents whose category is the query's (what the README
 * calls recall@k of the right category's documents), `hit` = share of queries with at least one right document.
 */
export function categoryRecallAtK(
  neighbours: readonly Neighbours[],
  queryCategories: readonly string[],
  docCategories: readonly string[],
): { precision: number; hit: number } {
  let right = 0;
  let total = 0;
  let hits = 0;
  neighbours.forEach((n, q) => {
    const good = n.ids.filter((d) => docCategories[d] === queryCategories[q]).length;
    right += good;
    total += n.ids.length;
    if (good > 0) hits++;
  });
  return { precision: total ? right / total : 0, hit: neighbours.length ? hits / neighbours.length : 0 };
}

export interface ClassifierQuality {
  accuracy: number;
  macroF1: number;
  perClass: Record<string, { precision: number; recall: number; f1: number; support: number }>;
}

/** Accuracy, per-class precision/recall/F1 and their unweighted (macro) F1 mean. */
export function classifierQuality(
  truth: readonly number[],
  predicted: readonly number[],
  labels: readonly string[],
): ClassifierQuality {
  const perClass: ClassifierQuality["perClass"] = {};
  let f1Sum = 0;
  labels.forEach((label, c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truth.forEach((t, i) => {
      const p = predicted[i];
      if (p === c && t === c) tp++;
      else if (p === c) fp++;
      else if (t === c) fn++;
    });
    const precision = tp + fp ? tp / (tp + fp) : 0;
    const recall = tp + fn ? tp / (tp + fn) : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[label] = { precision, recall, f1, support: tp + fn };
    f1Sum += f1;
  });
  const correct = truth.filter((t, i) => predicted[i] === t).length;
  return { accuracy: truth.length ? correct / truth.length : 0, macroF1: f1Sum / labels.length, perClass };
}
