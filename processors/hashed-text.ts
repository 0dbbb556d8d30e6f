/**
 * The encoder's tokenizer: text → hashed bag of word n-grams and character n-grams (FNV-1a into a fixed
 * number of buckets). No vocabulary file to drift; its settings ship as the encoder's `tokenizer.json` sidecar.
 */
import { z } from "zod";

export const hashedTextConfig = z.object({
  kind: z.literal("hashed-ngrams"),
  /** Number of hash buckets = the encoder's input width. */
  buckets: z.number().int().positive(),
  /** Word n-gram sizes, e.g. [1, 2]. */
  wordNgrams: z.array(z.number().int().positive()),
  /** Character n-gram sizes over ` word ` (padded), e.g. [3]. */
  charNgrams: z.array(z.number().int().positive()),
  /** Texts longer than this many characters are cut. */
  maxChars: z.number().int().positive(),
});
export type HashedTextConfig = z.infer<typeof hashedTextConfig>;

export const DEFAULT_HASHED_TEXT: HashedTextConfig = {
  kind: "hashed-ngrams",
  buckets: 2048,
  wordNgrams: [1, 2],
  charNgrams: [3],
  maxChars: 2000,
};

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Lower-cased words of letters and digits. */
export function words(text: string, maxChars: number): string[] {
  return text
    .slice(0, maxChars)
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/** Writes the log-scaled, L2-normalised hashed n-gram counts of `text` into `out` (length `buckets`). */
export function hashText(text: string, config: HashedTextConfig, out: Float32Array): void {
  out.fill(0);
  const ws = words(text, config.maxChars);
  const add = (gram: string) => {
    const i = fnv1a(gram) % config.buckets;
    out[i] = (out[i] ?? 0) + 1;
  };
  for (const n of config.wordNgrams) {
    for (let i = 0; i + n <= ws.length; i++) add(`w${n}:${ws.slice(i, i + n).join(" ")}`);
  }
  for (const n of config.charNgrams) {
    for (const w of ws) {
      const padded = ` ${w} `;
      for (let i = 0; i + n <= padded.length; i++) add(`c${n}:${padded.slice(i, i + n)}`);
    }
  }
  let norm = 0;
  for (let i = 0; i < out.length; i++) {
    const v = Math.log1p(out[i] ?? 0);
    out[i] = v;
    norm += v * v;
  }
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) * inv;
  }
}

/** Hashes a batch of texts into one row-major matrix `[texts.length, buckets]`. */
export function hashTexts(texts: readonly string[], config: HashedTextConfig): Float32Array {
  const matrix = new Float32Array(texts.length * config.buckets);
  for (let r = 0; r < texts.length; r++) {
    hashText(texts[r] ?? "", config, matrix.subarray(r * config.buckets, (r + 1) * config.buckets));
  }
  return matrix;
}
