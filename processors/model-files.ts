/**
 * TF.js LayersModels on disk without `@tensorflow/tfjs-node`: read `model.json` + weight files + JSON sidecars
 * ourselves and hand them to `tf.io.fromMemory`; save through `tf.io.withSaveHandler`. The model id is the
 * content hash of every file of the model folder, so a changed tokenizer or feature spec changes the id.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ConfigError } from "../core/errors.ts";

export interface ModelFiles {
  readonly dir: string;
  /** `sha256:` + the first 16 hex digits of the hash over the folder's files (names and bytes, sorted). */
  readonly modelId: string;
  readonly artifacts: tf.io.ModelArtifacts;
  /** Parsed JSON sidecars by file name (`tokenizer.json`, `features.json`, `labels.json`, ...). */
  readonly sidecars: Readonly<Record<string, unknown>>;
}

/** Files that belong to a model: everything but documentation. */
const isModelFile = (name: string) => !name.endsWith(".md") && !name.startsWith(".");

/** Content hash of a model folder: every model file's name and bytes, in name order. */
export async function modelIdOf(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const names = (await readdir(dir)).filter(isModelFile).sort();
  for (const name of names) {
    hash.update(`${name}\0`);
    hash.update(await readFile(path.join(dir, name)));
  }
  return `sha256:${hash.digest("hex").slice(0, 16)}`;
}

async function readOrConfigError(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new ConfigError(`model file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads a model folder. Throws `ConfigError` naming the file when one is missing or unreadable. */
export async function readModelFiles(dir: string): Promise<ModelFiles> {
  const modelJsonPath = path.join(dir, "model.json");
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse((await readOrConfigError(modelJsonPath)).toString("utf8")) as tf.io.ModelJSON;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`model file ${modelJsonPath}: not valid JSON`, { cause: error });
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of modelJson.weightsManifest ?? []) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readOrConfigError(path.join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const sidecars: Record<string, unknown> = {};
  for (const name of (await readdir(dir)).filter((n) => n.endsWith(".json") && n !== "model.json")) {
    sidecars[name] = JSON.parse((await readFile(path.join(dir, name))).toString("utf8"));
  }
  return {
    dir,
    modelId: await modelIdOf(dir),
    artifacts: { modelTopology: modelJson.modelTopology, weightSpecs, weightData, format: modelJson.format },
    sidecars,
  };
}

/** Loads a LayersModel from a folder. Throws `ConfigError` naming the folder when TF.js rejects it. */
export async function loadLayersModel(dir: string): Promise<{ model: tf.LayersModel; files: ModelFiles }> {
  const files = await readModelFiles(dir);
  try {
    const model = await tf.loadLayersModel(tf.io.fromMemory(files.artifacts));
    return { model, files };
  } catch (error) {
    throw new ConfigError(`model ${path.join(dir, "model.json")} does not load: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function concatWeights(data: tf.io.WeightData | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((b) => Buffer.from(b)));
}

/** Saves a model as `model.json` + `weights.bin` into `dir`, plus JSON sidecars; returns the model id. */
export async function saveLayersModel(
  model: tf.LayersModel,
  dir: string,
  sidecars: Record<string, unknown> = {},
): Promise<string> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = concatWeights(artifacts.weightData);
      const modelJson = {
        format: "layers-model",
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(path.join(dir, "model.json"), JSON.stringify(modelJson));
      await writeFile(path.join(dir, "weights.bin"), weights);
      return {
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON", weightDataBytes: weights.length },
      };
    }),
  );
  for (const [name, value] of Object.entries(sidecars)) {
    await writeFile(path.join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  }
  return modelIdOf(dir);
}
