/**
 * Backend selection on this machine: tfjs-node(-gpu) cannot load (no native libtensorflow), so the chain must
 * report why and land on wasm; forcing cpu must work; forcing a backend that cannot load must fail loudly.
 */
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors.ts";
import { BACKEND_ENV, selectBackend } from "../../../processors/tfjs-backend.ts";

describe("selectBackend", () => {
  afterEach(() => {
    delete process.env[BACKEND_ENV];
  });

  it("falls back past tfjs-node-gpu and tfjs-node, saying why, and lands on wasm", async () => {
    const choice = await selectBackend();
    expect(choice.fallbacksTried.map((f) => f.backend)).toEqual(["tfjs-node-gpu", "tfjs-node"]);
    for (const f of choice.fallbacksTried) expect(f.reason).toMatch(/tfjs-node|libtensorflow|Cannot find/);
    expect(choice.name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(choice.details?.threads).toBeGreaterThanOrEqual(1);
    const y = tf.tidy(() => tf.tensor1d([1, 2, 3]).square().sum().dataSync()[0]);
    expect(y).toBe(14);
  });

  it("uses cpu when forced, by option or environment variable", async () => {
    const forced = await selectBackend({ force: "cpu" });
    expect(forced).toMatchObject({ name: "cpu", tfBackend: "cpu", fallbacksTried: [] });
    expect(tf.getBackend()).toBe("cpu");
    process.env[BACKEND_ENV] = "wasm";
    expect((await selectBackend()).name).toBe("wasm");
    process.env[BACKEND_ENV] = "cpu";
    expect((await selectBackend()).name).toBe("cpu");
  });

  it("rejects a forced backend that does not load, and an unknown name", async () => {
    await expect(selectBackend({ force: "tfjs-node" })).rejects.toThrow(/tfjs-node: /);
    process.env[BACKEND_ENV] = "tpu";
    await expect(selectBackend()).rejects.toBeInstanceOf(ConfigError);
  });
});
