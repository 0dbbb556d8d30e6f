/**
 * Kafka goes through sluice's own port (core/kafka.ts): only the adapter folder imports the client library, plus
 * the bench's baseline programs (plain kafkajs loops by design, what sluice is measured against) and the tests of
 * the adapter itself. Everything else, ops/ and the test helpers included, takes a `KafkaClient`.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const SKIP = new Set(["node_modules", "dist", "coverage"]);

/** The adapter: the one place the product builds kafkajs clients. */
const ADAPTER = "topologies/runtime/kafka/";
/** The bench's baseline programs: kafkajs client loops sluice is compared with. */
const BASELINES = ["ops/bench/handwritten-kafkajs.ts", "ops/bench/naive-kafkajs.ts", "ops/bench/kafka-txn-producer.ts"];
const BASELINE_FOLDERS = ["ops/bench/clients/"];
/**
 * Tests of the adapter, which hand it kafkajs objects or decode kafkajs's own formats: named after the adapter
 * module they test (`test/…/kafkajs-patches.test.ts` for `kafkajs-patches.ts`), or listed here.
 */
const ADAPTER_TESTS = ["test/integration/state-changelog.test.ts"];
const adapterModules = new Set(
  readdirSync(path.join(ROOT, ADAPTER))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.slice(0, -".ts".length)),
);
const isAdapterTest = (file: string) =>
  ADAPTER_TESTS.includes(file) ||
  (file.startsWith("test/") && adapterModules.has(path.basename(file).replace(/\.test\.ts$/, "")));

function sources(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith(".") || SKIP.has(entry.name)) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) ? [path.relative(ROOT, full).split(path.sep).join("/")] : [];
  });
}

/** An import of kafkajs in any form (static, side effect, dynamic, require), subpaths included. */
const KAFKAJS_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']kafkajs(?:\/[^"']*)?["']/;
const TOPOLOGIES_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](?:\.\.\/)+topologies\//;

const files = sources();
const importing = (pattern: RegExp) => files.filter((f) => pattern.test(readFileSync(path.join(ROOT, f), "utf8")));

describe("the Kafka port", () => {
  it("keeps kafkajs inside the adapter folder, the bench's baseline programs and the adapter's tests", () => {
    const allowed = (file: string) =>
      file.startsWith(ADAPTER) ||
      BASELINES.includes(file) ||
      BASELINE_FOLDERS.some((folder) => file.startsWith(folder)) ||
      isAdapterTest(file);
    const users = importing(KAFKAJS_IMPORT);
    expect(
      users.filter((f) => !allowed(f)),
      "use the Kafka port (core/kafka.ts) and kafkaClientFor",
    ).toEqual([]);
    expect(users.some((f) => f.startsWith(ADAPTER))).toBe(true); // the pattern still finds imports
    // The exceptions name files that exist and still need kafkajs: the list does not outlive its reasons.
    for (const file of [...BASELINES, ...ADAPTER_TESTS]) expect(users, file).toContain(file);
  });

  it("is all the stack and the layers below topologies/ know of Kafka: they import nothing from topologies/", () => {
    const below = ["core/", "schemas/", "stack/", "produce/", "analytics/"];
    const offenders = importing(TOPOLOGIES_IMPORT).filter((f) => below.some((folder) => f.startsWith(folder)));
    expect(offenders, "take a KafkaClient or a KafkaClientFactory from the caller").toEqual([]);
  });
});
