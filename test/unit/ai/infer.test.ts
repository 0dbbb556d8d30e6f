/**
 * `infer` with the real classifier: scores in record order with model id and backend, a NaN score
 * dead-lettered, no tensor leak over 10 000 records, one-at-a-time records micro-batched, bad model at start.
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { DECISIONS } from "../../../models/synthetic.ts";
import { inferProcessor } from "../../../processors/infer-tfjs.ts";
import { modelIdOf, saveLayersModel } from "../../../processors/model-files.ts";
import { selectBackend } from "../../../processors/tfjs-backend.ts";
import { CLASSIFIER_DIR, driverFor, ROOT, records, testContext } from "./helpers.ts";

const WIDTH = 80;
const INFER = (extra = "") => `
  - name: classify
    type: infer
    from: events
    infer: { model: models/classifier, inputField: features${extra} }`;

const row = (seed: number) => Array.from({ length: WIDTH }, (_, i) => Math.sin(seed * 31 + i));
interface Out {
  id: number;
  inference: { label: string; scores: Record<string, number>; model_id: string; backend: string };
}

describe("infer", () => {
  beforeAll(() => selectBackend());

  it("scores every record in order, recording model id and backend; NaN inputs are dead-lettered", async () => {
    const driver = await driverFor(INFER(), { sinkFrom: "classify", source: "json", batch: 50 });
    const values = Array.from({ length: 120 }, (_, id) => ({
      id,
      features: id === 7 ? row(id).map(() => Number.NaN) : row(id),
    }));
    await driver.pipeInput(
      "enterprise-events",
      values.map((value) => ({ value })),
    );
    const out = driver.readValues("out") as Out[];
    expect(out.map((o) => o.id)).toEqual(values.map((v) => v.id).filter((id) => id !== 7));
    const modelId = await modelIdOf(CLASSIFIER_DIR);
    for (const o of out) {
      expect(o.inference).toMatchObject({ model_id: modelId, backend: "wasm" });
      expect(Object.keys(o.inference.scores)).toEqual([...DECISIONS]);
      const sum = Object.values(o.inference.scores).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 4);
      expect(o.inference.scores[o.inference.label]).toBe(Math.max(...Object.values(o.inference.scores)));
    }
    expect(driver.deadLetters().map((l) => [l.record.source.offset, l.reason])).toEqual([
      [7, expect.stringMatching(/features holds a NaN/)],
    ]);
    await driver.close();
  });

  it("dead-letters records whose score comes out NaN (float32 overflow inside the model)", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "sluice-nan-model-"));
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: "softmax" })] });
    // Huge weights on input 0: [10, 0] overflows to [Inf, Inf] and softmax gives NaN; [0, 1] stays finite.
    model.setWeights([
      tf.tensor2d([
        [3e38, 3e38],
        [0, 0],
      ]),
      tf.zeros([2]),
    ]);
    await saveLayersModel(model, dir, { "labels.json": ["ok", "odd"] });
    const driver = await driverFor(INFER().replace("models/classifier", dir), { sinkFrom: "classify", source: "json" });
    await driver.pipeInput("enterprise-events", [{ value: { features: [0, 1] } }, { value: { features: [10, 0] } }]);
    expect(driver.readValues("out")).toHaveLength(1);
    expect(driver.deadLetters().map((l) => [l.record.source.offset, l.errorClass, l.reason])).toEqual([
      [1, "PoisonRecordError", expect.stringMatching(/gave a NaN score/)],
    ]);
    await driver.close();
  });

  it("holds the number of tensors flat: 10 000 records leave as many as 100", async () => {
    const driver = await driverFor(INFER(", maxBatch: 64"), { sinkFrom: "classify", source: "json", batch: 256 });
    const feed = async (n: number) => {
      await driver.pipeInput(
        "enterprise-events",
        Array.from({ length: n }, (_, id) => ({ value: { id, features: row(id) } })),
      );
      driver.clear();
    };
    await feed(100);
    const after100 = tf.memory().numTensors;
    await feed(10_000);
    expect(tf.memory().numTensors).toBe(after100);
    expect(driver.metrics()["classify.inferred"]).toBe(10_100);
    await driver.close();
  });

  it("micro-batches records handed over one at a time and keeps their order", async () => {
    const config = inferProcessor.config.parse({
      model: "models/classifier",
      inputField: "features",
      maxBatch: 8,
      maxWaitMs: 2,
    });
    const processor = inferProcessor.create(config, { baseDir: ROOT });
    const ctx = testContext("classify");
    await processor.init?.(ctx);
    const input = records(Array.from({ length: 20 }, (_, id) => ({ id, features: id === 3 ? [1, 2] : row(id) })));
    const settled = await Promise.allSettled(input.map((r) => processor.process?.(r)));
    expect(settled.map((s) => s.status).filter((s) => s === "rejected")).toHaveLength(1);
    expect((settled[3] as PromiseRejectedResult).reason.message).toMatch(
      /input field features has 2 numbers, model takes 80/,
    );
    expect(ctx.forwarded.map((r) => (r.value as { id: number }).id)).toEqual(
      input.map((_, id) => id).filter((id) => id !== 3),
    );
    await processor.close?.();
  });

  it("fails at start naming the model file when the model does not load", async () => {
    await expect(
      driverFor(INFER().replace("models/classifier", "models/missing"), { sinkFrom: "classify", source: "json" }),
    ).rejects.toThrow(/models\/missing\/model\.json/);
  });
});
