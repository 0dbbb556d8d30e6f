/**
 * `sluice replay --model <candidate>`: the topology's `infer` node scores every record with the candidate
 * instead of its primary. The candidate is a candidate id of that node (its `model` folder is used) or a model
 * folder (relative to the working directory). Shadow and canary candidates are dropped for the replay, so the
 * candidate acts for every key and the diff compares one model with the baseline's decisions.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../core/errors.ts";
import type { LoadedTopology } from "./yaml-loader.ts";

export interface ReplayModel {
  processor: string;
  /** Absolute model folder the replay scores with. */
  model: string;
  /** The candidate id when `--model` named one. */
  candidateId?: string;
}

interface InferNode {
  name: string;
  type: string;
  infer?: { model: string; candidates?: { id: string; model: string }[] };
}

/** Rewrites the `infer` node of `loaded` (in place) to score with `candidate`; says what it chose. */
export function useReplayModel(loaded: LoadedTopology, candidate: string): ReplayModel {
  const nodes = (loaded.spec.processors as unknown as InferNode[]).filter((p) => p.type === "infer" && p.infer);
  const [first, ...more] = nodes;
  if (!first?.infer) throw new ConfigError(`--model ${candidate}: topology ${loaded.file} has no infer processor`);
  if (more.length > 0) {
    throw new ConfigError(
      `--model ${candidate}: topology ${loaded.file} has ${nodes.length} infer processors (${nodes.map((n) => n.name).join(", ")}); one is supported`,
    );
  }
  const infer = first.infer;
  const named = infer.candidates?.find((c) => c.id === candidate);
  const model = named ? path.resolve(loaded.baseDir, named.model) : path.resolve(candidate);
  if (!existsSync(path.join(model, "model.json"))) {
    throw new ConfigError(
      `--model ${candidate}: neither a candidate id of ${first.name} (${(infer.candidates ?? []).map((c) => c.id).join(", ") || "none"}) nor a model folder (no ${path.join(model, "model.json")})`,
    );
  }
  infer.model = model;
  infer.candidates = [];
  return { processor: first.name, model, ...(named ? { candidateId: named.id } : {}) };
}
