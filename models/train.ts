/**
 * `npm run models:train`: makes the two models the reference topology uses from synthetic data, with a fixed
 * seed, and measures them on a held-out split. Writes models/encoder, models/classifier, models/kb/docs.jsonl,
 * models/metrics.json and models/README.md (figures from this run, never typed by hand).
 */
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { DEFAULT_HASHED_TEXT, hashTexts } from "../processors/hashed-text.ts";
import { saveLayersModel } from "../processors/model-files.ts";
import { selectBackend } from "../processors/tfjs-backend.ts";
import { CLASSIFIER_FEATURES, encoderSidecar } from "./contract.ts";
import { categoryRecallAtK, classifierQuality, topKByTenant } from "./evaluate.ts";
import { writeReadme } from "./readme.ts";
import { CATEGORIES, createRng, DECISIONS, generateKnowledgeBase, generateLabelledEvents } from "./synthetic.ts";
import { buildClassifierRows } from "./training-rows.ts";

const SEED = 20250101;
const EMBED_DIM = 64;
const TOP_K = 5;
const here = path.dirname(fileURLToPath(import.meta.url));

/** TF.js initialisers, dropout and `fit`'s shuffle all fall back to Math.random: make it the seeded PRNG. */
function seedMathRandom(): void {
  Math.random = createRng(SEED);
}

function encoderModel(inputDim: number): { trainer: tf.LayersModel; encoder: tf.LayersModel } {
  const input = tf.input({ shape: [inputDim], name: "hashed_text" });
  const hidden = tf.layers.dense({ units: 128, activation: "relu", name: "hidden" }).apply(input);
  const embedding = tf.layers.dense({ units: EMBED_DIM, name: "embedding" }).apply(hidden) as tf.SymbolicTensor;
  const head = tf.layers.dense({ units: CATEGORIES.length, activation: "softmax", name: "category" }).apply(embedding);
  const trainer = tf.model({ inputs: input, outputs: head as tf.SymbolicTensor });
  trainer.compile({ optimizer: tf.train.adam(0.002), loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] });
  return { trainer, encoder: tf.model({ inputs: input, outputs: embedding, name: "encoder" }) };
}

function classifierModel(inputDim: number): tf.LayersModel {
  const model = tf.sequential({ name: "decision_classifier" });
  model.add(tf.layers.dense({ inputShape: [inputDim], units: 64, activation: "relu" }));
  model.add(tf.layers.dropout({ rate: 0.1 }));
  model.add(tf.layers.dense({ units: 32, activation: "relu" }));
  model.add(tf.layers.dense({ units: DECISIONS.length, activation: "softmax" }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

/** Embeds texts with the encoder and L2-normalises each row (as the embed processor does). */
function embed(encoder: tf.LayersModel, texts: readonly string[]): Float32Array {
  const out = new Float32Array(texts.length * EMBED_DIM);
  for (let start = 0; start < texts.length; start += 512) {
    const chunk = texts.slice(start, start + 512);
    const x = tf.tensor2d(hashTexts(chunk, DEFAULT_HASHED_TEXT), [chunk.length, DEFAULT_HASHED_TEXT.buckets]);
    const y = tf.tidy(() => {
      const e = encoder.predict(x, { batchSize: chunk.length }) as tf.Tensor2D;
      return e.div(e.norm("euclidean", 1, true).add(1e-12));
    });
    out.set(y.dataSync(), start * EMBED_DIM);
    tf.dispose([x, y]);
  }
  return out;
}

async function dirSize(dir: string, files: string[]): Promise<number> {
  let total = 0;
  for (const f of files) total += (await stat(path.join(dir, f))).size;
  return total;
}

async function main(): Promise<void> {
  const started = performance.now();
  const backend = await selectBackend({ force: (process.env.SLUICE_TFJS_BACKEND as "cpu" | undefined) ?? "auto" });
  console.log(`backend ${backend.name}`);
  seedMathRandom();

  const events = generateLabelledEvents(20_000, SEED);
  const train = events.slice(0, 16_000);
  const test = events.slice(16_000);
  const kb = generateKnowledgeBase(SEED);
  await mkdir(path.join(here, "kb"), { recursive: true });
  await writeFile(path.join(here, "kb", "docs.jsonl"), `${kb.map((d) => JSON.stringify(d)).join("\n")}\n`);

  // (1) Encoder: hashed n-grams -> 128 -> 64, trained through a category head that is then dropped.
  const catIndex = (c: string) => CATEGORIES.indexOf(c as (typeof CATEGORIES)[number]);
  const encTexts = [...train.map((e) => e.event.text), ...kb.map((d) => d.text)];
  const encLabels = [...train.map((e) => catIndex(e.category)), ...kb.map((d) => catIndex(d.category))];
  const { trainer, encoder } = encoderModel(DEFAULT_HASHED_TEXT.buckets);
  const xs = tf.tensor2d(hashTexts(encTexts, DEFAULT_HASHED_TEXT), [encTexts.length, DEFAULT_HASHED_TEXT.buckets]);
  const ys = tf.tensor1d(encLabels, "float32");
  await trainer.fit(xs, ys, { epochs: 4, batchSize: 128, shuffle: true, verbose: 0, validationSplit: 0.1 });
  tf.dispose([xs, ys]);

  const kbVectors = embed(
    encoder,
    kb.map((d) => d.text),
  );
  const kbTenants = kb.map((d) => d.tenant_id);
  const kbCats = kb.map((d) => d.category);
  const neighbours = (split: typeof events) =>
    topKByTenant(
      embed(
        encoder,
        split.map((e) => e.event.text),
      ),
      split.map((e) => e.event.tenant_id),
      kbVectors,
      kbTenants,
      EMBED_DIM,
      TOP_K,
    );
  const testNeighbours = neighbours(test);
  const retrieval = categoryRecallAtK(
    testNeighbours,
    test.map((e) => e.category),
    kbCats,
  );
  console.log(`encoder recall@${TOP_K}`, retrieval);

  const encoderDir = path.join(here, "encoder");
  await rm(encoderDir, { recursive: true, force: true });
  await mkdir(encoderDir, { recursive: true });
  const encoderId = await saveLayersModel(encoder, encoderDir, encoderSidecar(EMBED_DIM));

  // (2) Classifier over event features + the encoder's retrieval results.
  const trainRows = buildClassifierRows(
    train,
    embed(
      encoder,
      train.map((e) => e.event.text),
    ),
    neighbours(train),
    kb,
    EMBED_DIM,
  );
  const testRows = buildClassifierRows(
    test,
    embed(
      encoder,
      test.map((e) => e.event.text),
    ),
    testNeighbours,
    kb,
    EMBED_DIM,
  );
  const classifier = classifierModel(trainRows.width);
  const cx = tf.tensor2d(trainRows.matrix, [train.length, trainRows.width]);
  const cy = tf.tensor1d(trainRows.labels, "float32");
  await classifier.fit(cx, cy, { epochs: 25, batchSize: 64, shuffle: true, verbose: 0 });
  tf.dispose([cx, cy]);
  const tx = tf.tensor2d(testRows.matrix, [test.length, testRows.width]);
  const predicted = tf.tidy(() => (classifier.predict(tx) as tf.Tensor).argMax(1).arraySync() as number[]);
  tx.dispose();
  const quality = classifierQuality(testRows.labels, predicted, DECISIONS);
  console.log("classifier", { accuracy: quality.accuracy, macroF1: quality.macroF1 });

  const classifierDir = path.join(here, "classifier");
  await rm(classifierDir, { recursive: true, force: true });
  await mkdir(classifierDir, { recursive: true });
  const classifierId = await saveLayersModel(classifier, classifierDir, {
    "features.json": CLASSIFIER_FEATURES,
    "labels.json": [...DECISIONS],
  });

  const files = ["model.json", "weights.bin"];
  const metrics = {
    seed: SEED,
    backend: backend.name,
    trainSeconds: Math.round((performance.now() - started) / 100) / 10,
    data: { trainEvents: train.length, testEvents: test.length, kbDocs: kb.length },
    encoder: {
      modelId: encoderId,
      bytes: await dirSize(encoderDir, [...files, "tokenizer.json", "encoder.json"]),
      params: encoder.countParams(),
      recallAt5: retrieval.precision,
      hitAt5: retrieval.hit,
    },
    classifier: {
      modelId: classifierId,
      bytes: await dirSize(classifierDir, [...files, "features.json", "labels.json"]),
      params: classifier.countParams(),
      inputWidth: trainRows.width,
      ...quality,
    },
  };
  await writeFile(path.join(here, "metrics.json"), `${JSON.stringify(metrics, null, 2)}\n`);
  await writeReadme(path.join(here, "README.md"), metrics);
  console.log(JSON.stringify(metrics, null, 2));
}

await main();
