/**
 * Four test projects: `unit` needs no services; `examples` runs the packages under examples/ against this
 * checkout (`"sluice"` resolves to index.ts, so no install inside them is needed); `integration` and `e2e` run
 * against the real local stack, which `test/global-setup.ts` starts once (or reuses, or skips when external
 * services are configured).
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 60_000,
          pool: "forks",
        },
      },
      {
        resolve: { alias: { sluice: fileURLToPath(new URL("./index.ts", import.meta.url)) } },
        test: {
          name: "examples",
          include: ["examples/*/**/*.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 60_000,
          pool: "forks",
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          pool: "forks",
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          pool: "forks",
          fileParallelism: false,
        },
      },
    ],
  },
});
