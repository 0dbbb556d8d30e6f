/**
 * The encoder's fast path gives the answers of the TF.js path: sparse hashing is bit-identical to the dense
 * `hashText` (Unicode, empty and long texts included), and the sparse Dense-layer kernel matches `predict()` on
 * the real encoder within 1e-5 per component, so `embed` and `kb build` may use either.
 */
import { describe, expect, it } from "vitest";
import { generateLabelledEvents } from "../../../models/synthetic.ts";
import { DEFAULT_HASHED_TEXT, hashText, hashTextSparse } from "../../../processors/hashed-text.ts";
import { loadTextEncoder } from "../../../processors/text-encoder.ts";
import { ENCODER_DIR } from "./helpers.ts";

const texts = [
  ...generateLabelledEvents(1500, 77).map((l) => l.event.text),
  "Ünïcode ß 東京 🙂 naïve café, d'accord — émigré",
  "",
  "x",
  "word ".repeat(600),
];

describe("encoder fast path", () => {
  it("hashes sparsely to exactly the dense features", () => {
    const dense = new Float32Array(DEFAULT_HASHED_TEXT.buckets);
    const scratch = new Float32Array(DEFAULT_HASHED_TEXT.buckets);
    for (const text of texts) {
      hashText(text, DEFAULT_HASHED_TEXT, dense);
      const { indices, values } = hashTextSparse(text, DEFAULT_HASHED_TEXT, scratch);
      const back = new Float32Array(DEFAULT_HASHED_TEXT.buckets);
      indices.forEach((i, k) => {
        back[i] = values[k] as number;
      });
      expect(back).toEqual(dense);
      expect([...indices]).toEqual([...indices].sort((a, b) => a - b));
    }
    expect(scratch.every((x) => x === 0)).toBe(true);
  });

  it("embeds as predict() does, within 1e-5", async () => {
    const encoder = await loadTextEncoder(ENCODER_DIR);
    expect(encoder.kernel).toBe("sparse");
    const fast = encoder.encode(texts, 256, "sparse");
    const tfjs = encoder.encode(texts, 256, "tfjs");
    let worst = 0;
    fast.forEach((v, i) => {
      v.forEach((x, d) => {
        worst = Math.max(worst, Math.abs(x - (tfjs[i]?.[d] as number)));
      });
    });
    expect(fast).toHaveLength(texts.length);
    expect(worst).toBeLessThan(1e-5);
  });
});
