/**
 * "Did you mean" suggestions for misspelt names (config keys, node names, schema fields), by edit distance.
 * Lives in processors/ because both the expression checker and the topology loader use it.
 */

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      const cost = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** Words longer than this are not names anyone misspelt (a pasted blob): no suggestion, and no quadratic cost. */
const LONGEST_NAME = 64;

/** The closest candidate within a distance of about a third of the word, or undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > LONGEST_NAME) return undefined;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `, did you mean "x"?` or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match === undefined ? "" : `, did you mean "${match}"?`;
}
