/**
 * Two tasks starting together both ask for the TF.js backend. Before selection was single-flight, the second
 * set the backend up again while the first was loading its model: the run fell back to cpu or a model's weights
 * were missing from the new backend ("Cannot read properties of undefined (reading 'get')"), and every record of
 * that task was dead-lettered (seen in test/integration/decision-eval.test.ts). Needs a fresh module state: this
 * file selects the backend first.
 */
import { describe, expect, it } from "vitest";
import { loadClassifier, predictRows } from "../../../processors/classifier.ts";
import { selectBackend } from "../../../processors/tfjs-backend.ts";
import { CLASSIFIER_DIR } from "../ai/helpers.ts";

describe("selectBackend", () => {
  it("is single-flight: concurrent callers share one backend, and a model loaded by one scores for all", async () => {
    const start = async (delayMs: number) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const backend = await selectBackend();
      return { backend, model: await loadClassifier(CLASSIFIER_DIR) };
    };
    const [a, b, c] = await Promise.all([start(0), start(5), start(50)]);
    expect(new Set([a.backend, b.backend, c.backend]).size).toBe(1);
    expect(a.backend.name).toBe("wasm");
    const scores = predictRows(a.model, new Float32Array(a.model.width * 4), 4, 256);
    expect(scores).toHaveLength(4 * a.model.labels.length);
    expect([...scores].every(Number.isFinite)).toBe(true);
  });
});
