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

/** A text's hashed features as parallel arrays of the non-zero buckets (ascending) and their values. */
export interface SparseFeatures {
  indices: Int32Array;
  values: Float32Array;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function feed(h: number, text: string): number {
  let x = h;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), FNV_PRIME);
  return x;
}

/**
 * The same features as `hashText`, bit for bit, without building each n-gram's string or touching all
 * `buckets`: FNV-1a fed piece by piece, counts kept for the buckets hit only. `scratch` (length `buckets`, all
 * zero) is left all zero again.
 */
export function hashTextSparse(text: string, config: HashedTextConfig, scratch: Float32Array): SparseFeatures {
  const ws = words(text, config.maxChars);
  const { buckets } = config;
  const hashes: number[] = [];
  for (const n of config.wordNgrams) {
    const prefix = feed(FNV_OFFSET, `w${n}:`);
    for (let i = 0; i + n <= ws.length; i++) {
      let h = feed(prefix, ws[i] as string);
      for (let j = 1; j < n; j++) h = feed(Math.imul(h ^ 32, FNV_PRIME), ws[i + j] as string);
      hashes.push(h);
    }
  }
  for (const n of config.charNgrams) {
    const prefix = feed(FNV_OFFSET, `c${n}:`);
    for (const w of ws) {
      // The padded word ` w `: position 0 and length + 1 are spaces.
      const last = w.length + 2 - n;
      for (let i = 0; i <= last; i++) {
        let h = prefix;
        for (let c = i; c < i + n; c++) {
          const code = c === 0 || c === w.length + 1 ? 32 : w.charCodeAt(c - 1);
          h = Math.imul(h ^ code, FNV_PRIME);
        }
        hashes.push(h);
      }
    }
  }
  const touched = new Int32Array(hashes.length);
  let count = 0;
  for (const h of hashes) {
    const i = (h >>> 0) % buckets;
    if (scratch[i] === 0) touched[count++] = i;
    scratch[i] = (scratch[i] as number) + 1;
  }
  const indices = touched.subarray(0, count).sort();
  const values = new Float32Array(count);
  let norm = 0;
  for (let t = 0; t < count; t++) {
    const i = indices[t] as number;
    const v = Math.log1p(scratch[i] as number);
    values[t] = v;
    norm += v * v;
    scratch[i] = 0;
  }
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let t = 0; t < count; t++) values[t] = (values[t] as number) * inv;
  }
  return { indices, values };
}
