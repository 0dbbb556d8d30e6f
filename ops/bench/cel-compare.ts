/**
 * Compares the two maintained CEL implementations for npm, `@marcbachmann/cel-js` and `@bufbuild/cel`, on
 * correctness (cases a sluice topology meets) and compiled evaluations per second. Prints JSON and writes
 * bench/results/cel-compare.json. Run: `npx tsx ops/bench/cel-compare.ts`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { parse as bufParse, celEnv, isCelError, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { Environment } from "@marcbachmann/cel-js";
import { fromCel, toCel } from "../../processors/cel.ts";

const record = toCel({
  id: "evt-1",
  tenant: "acme",
  priority: 4,
  score: 0.75,
  text: "Refund request for order 1234",
  tags: ["billing", "urgent"],
  customer: { tier: "gold", seats: 250, email: null },
  attrs: { region: "eu" },
  count: 0,
}) as Record<string, unknown>;

/** [expression, expected value, or "error" when evaluation must fail]. */
const CASES: Array<[string, unknown]> = [
  ["value.priority > 3", true],
  ["value.priority == 4", true],
  ["value.priority >= 4.0", true],
  ["value.score > 0.5", true],
  ["value.score * 2.0", 1.5],
  ["value.priority + 1", 5],
  ["value.priority / 3", 1],
  ["double(value.priority) / 8.0", 0.5],
  ["value.priority + 0.5", "error"],
  ["int(value.score * 100.0)", 75],
  ["value.text.startsWith('Refund')", true],
  ["value.text.endsWith('1234')", true],
  ["value.text.contains('order')", true],
  ["size(value.text)", 29],
  ["value.text.size()", 29],
  ["value.text.matches('^Refund.*[0-9]+$')", true],
  ["value.text.matches('(?i)refund')", true],
  ["'urgent' in value.tags", true],
  ["size(value.tags)", 2],
  ["value.tags.exists(t, t == 'billing')", true],
  ["value.tags.all(t, size(t) > 3)", true],
  ["value.tags.map(t, t + '!')", ["billing!", "urgent!"]],
  ["value.tags.filter(t, t.startsWith('u'))", ["urgent"]],
  ["has(value.customer)", true],
  ["has(value.missing)", false],
  ["has(value.customer.tier)", true],
  ["value.customer.email == null", true],
  ["value.missing == null", "error"],
  ["value.missing.x", "error"],
  ["has(value.missing) ? value.missing : 'none'", "none"],
  ["value.customer.tier == 'gold' && value.customer.seats > 100", true],
  ["value.count == 0 || value.priority / value.count > 1", true],
  ["value.priority / value.count", "error"],
  ["value.attrs['region']", "eu"],
  ["'region' in value.attrs", true],
  ["{'id': value.id, 'p': value.priority}", { id: "evt-1", p: 4 }],
  ["value.priority > 3 ? 'high' : 'low'", "high"],
  ["string(value.priority) + '/' + value.tenant", "4/acme"],
  ["value.text.lowerAscii()", "refund request for order 1234"],
  ["type(value.priority) == int", true],
  ["value.tags[5]", "error"],
  ["1 + ", "error"],
];

interface Engine {
  name: string;
  compile(source: string): (vars: Record<string, unknown>) => unknown;
}

const marc = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
const bufEnv = celEnv({ funcs: strings });

const ENGINES: Engine[] = [
  {
    name: "@marcbachmann/cel-js",
    compile: (source) => marc.parse(source) as (vars: Record<string, unknown>) => unknown,
  },
  {
    name: "@bufbuild/cel",
    compile: (source) => {
      const run = plan(bufEnv, bufParse(source));
      return (vars) => {
        const result = run(vars as never);
        if (isCelError(result)) throw result;
        return result;
      };
    },
  },
];

function normalise(value: unknown): unknown {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return (value as { toJSON(): unknown }).toJSON();
  }
  if (value !== null && typeof value === "object" && "_map" in value) return fromCel((value as { _map: unknown })._map);
  if (value !== null && typeof value === "object" && Symbol.iterator in value && !Array.isArray(value)) {
    return [...(value as Iterable<unknown>)].map(normalise);
  }
  return fromCel(value);
}

function correctness(engine: Engine): { passed: number; failed: Array<{ expression: string; got: string }> } {
  const failed: Array<{ expression: string; got: string }> = [];
  for (const [expression, expected] of CASES) {
    let got: unknown;
    try {
      got = normalise(engine.compile(expression)({ value: record }));
    } catch {
      got = "error";
    }
    if (JSON.stringify(got) !== JSON.stringify(expected)) failed.push({ expression, got: JSON.stringify(got) });
  }
  return { passed: CASES.length - failed.length, failed };
}

const BENCH = [
  "value.priority > 3 && value.text.contains('order')",
  "value.customer.tier == 'gold' ? 'vip' : 'standard'",
  "{'id': value.id, 'urgent': value.tags.exists(t, t == 'urgent'), 'p': value.priority * 2}",
];

function evalsPerSecond(engine: Engine, source: string, iterations = 200_000): number {
  const fn = engine.compile(source);
  const vars = { value: record };
  for (let i = 0; i < 10_000; i++) fn(vars);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(vars);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return Math.round(iterations / seconds);
}

const results = ENGINES.map((engine) => ({
  engine: engine.name,
  cases: CASES.length,
  ...correctness(engine),
  evalsPerSecond: Object.fromEntries(BENCH.map((source) => [source, evalsPerSecond(engine, source)])),
}));
const report = { node: process.version, date: new Date().toISOString(), results };
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/cel-compare.json", `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
