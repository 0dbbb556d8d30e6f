/**
 * Chooses the TF.js backend once per process: tfjs-node-gpu, else tfjs-node, else wasm (its .wasm binaries ship
 * inside the npm package), else plain JS cpu. Each failed step is kept with its reason, logged and returned.
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { Logger } from "pino";
import { ConfigError } from "../core/errors.ts";

export const BACKENDS = ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Environment variable that forces a backend, as the `backend` option does. */
export const BACKEND_ENV = "SLUICE_TFJS_BACKEND";

export interface BackendChoice {
  /** The backend that runs: written on every inference output and decision. */
  readonly name: BackendName;
  /** TF.js's own name for it (`tensorflow`, `wasm`, `cpu`). */
  readonly tfBackend: string;
  /** Backends tried before it, in order, with why each did not load. */
  readonly fallbacksTried: readonly { backend: BackendName; reason: string }[];
  /** wasm only: SIMD and thread count the runtime reports. */
  readonly details?: { simd: boolean; threads: number };
}

export interface BackendOptions {
  /** Use exactly this backend and fail if it does not load. @default process.env.SLUICE_TFJS_BACKEND, else auto */
  force?: BackendName | "auto";
  logger?: Logger;
}

const require = createRequire(import.meta.url);
let wasmPathsSet = false;

/** Folder with `tfjs-backend-wasm*.wasm`, resolved inside node_modules (nothing is downloaded). */
export function wasmDistDir(): string {
  return path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
}

async function tryTfjsNode(moduleName: string): Promise<void> {
  // As the tfjs-node README prescribes: importing the package registers the `tensorflow` backend.
  await import(moduleName);
  if (!(await tf.setBackend("tensorflow"))) throw new Error("tf.setBackend('tensorflow') returned false");
}

async function tryWasm(): Promise<void> {
  // As the tfjs-backend-wasm README prescribes: setWasmPaths before tf.setBackend('wasm'), then tf.ready().
  if (!wasmPathsSet) {
    setWasmPaths(`${wasmDistDir()}${path.sep}`);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
}

async function tryCpu(): Promise<void> {
  if (!(await tf.setBackend("cpu"))) throw new Error("tf.setBackend('cpu') returned false");
}

const LOADERS: Record<BackendName, () => Promise<void>> = {
  "tfjs-node-gpu": () => tryTfjsNode("@tensorflow/tfjs-node-gpu"),
  "tfjs-node": () => tryTfjsNode("@tensorflow/tfjs-node"),
  wasm: tryWasm,
  cpu: tryCpu,
};

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "unknown error";
}

let current: BackendChoice | undefined;

/** The backend chosen so far, if any. */
export function currentBackend(): BackendChoice | undefined {
  return current;
}

function parseForce(value: string | undefined): BackendName | "auto" {
  if (value === undefined || value === "" || value === "auto") return "auto";
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw new ConfigError(`${BACKEND_ENV}=${value}: expected one of auto, ${BACKENDS.join(", ")}`);
}

/**
 * Selects (once; again only when a different backend is forced) and initialises the TF.js backend. A forced
 * backend that does not load is a `ConfigError`; in auto mode the chain falls through to cpu.
 */
export async function selectBackend(options: BackendOptions = {}): Promise<BackendChoice> {
  const force = options.force ?? parseForce(process.env[BACKEND_ENV]);
  if (current && (force === "auto" || force === current.name)) return current;
  // One selection at a time: two tasks starting together must not both set the backend up, or tensors made on
  // the first (a model's weights) are missing from the second ("Cannot read properties of undefined").
  const pending = selecting?.force === force ? selecting.choice : undefined;
  if (pending) return pending;
  const choice = (selecting?.choice ?? Promise.resolve()).catch(() => {}).then(() => choose(force, options));
  selecting = { force, choice };
  try {
    return await choice;
  } finally {
    if (selecting?.choice === choice) selecting = undefined;
  }
}

let selecting: { force: BackendName | "auto"; choice: Promise<BackendChoice> } | undefined;

async function choose(force: BackendName | "auto", options: BackendOptions): Promise<BackendChoice> {
  if (current && (force === "auto" || force === current.name)) return current;
  const order: readonly BackendName[] = force === "auto" ? BACKENDS : [force];
  const fallbacksTried: { backend: BackendName; reason: string }[] = [];
  for (const name of order) {
    try {
      await LOADERS[name]();
      await tf.ready();
      const details =
        name === "wasm" ? { simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"), threads: getThreadsCount() } : undefined;
      current = { name, tfBackend: tf.getBackend(), fallbacksTried, ...(details ? { details } : {}) };
      options.logger?.info({ backend: name, fallbacksTried, details }, `TF.js backend: ${name}`);
      return current;
    } catch (error) {
      fallbacksTried.push({ backend: name, reason: firstLine(error) });
      options.logger?.debug({ backend: name, reason: firstLine(error) }, `TF.js backend ${name} unavailable`);
    }
  }
  const why = fallbacksTried.map((f) => `${f.backend}: ${f.reason}`).join("; ");
  throw new ConfigError(`no TF.js backend could be loaded (${why})`);
}
