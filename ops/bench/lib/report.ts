/**
 * The end of a bench run: one markdown table of every figure and ratio, and an SVG of throughput and latency
 * per run drawn by vega-lite (no hand-made drawing), both also written next to the JSON results.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { REPO_ROOT } from "../../repo-root.ts";

export interface Row {
  section: string;
  run: string;
  recordsPerSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  other?: string;
}

const cell = (v: number | string | undefined) => (v === undefined || Number.isNaN(v) ? "" : String(v));

export function markdownTable(rows: readonly Row[], ratios: Record<string, number>): string {
  const lines = [
    "| section | run | records/s | p50 ms | p99 ms | other |",
    "|---|---|--:|--:|--:|---|",
    ...rows.map(
      (r) =>
        `| ${r.section} | ${r.run} | ${cell(r.recordsPerSecond)} | ${cell(r.p50Ms)} | ${cell(r.p99Ms)} | ${r.other ?? ""} |`,
    ),
    "",
    "| ratio | value |",
    "|---|--:|",
    ...Object.entries(ratios).map(([name, value]) => `| ${name} | ${value} |`),
  ];
  return lines.join("\n");
}

/** Two panels: records/s per run (log scale) and p50/p99 latency per run where measured. */
export async function plot(rows: readonly Row[], file: string): Promise<string> {
  const throughput = rows
    .filter((r) => r.recordsPerSecond)
    .map((r) => ({ run: `${r.section}: ${r.run}`, value: r.recordsPerSecond }));
  const latency = rows.flatMap((r) =>
    r.p50Ms === undefined
      ? []
      : [
          { run: `${r.section}: ${r.run}`, percentile: "p50", ms: Math.max(1, r.p50Ms) },
          { run: `${r.section}: ${r.run}`, percentile: "p99", ms: Math.max(1, r.p99Ms ?? 1) },
        ],
  );
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    vconcat: [
      {
        title: "throughput (records/s, log scale)",
        data: { values: throughput },
        mark: "bar",
        encoding: {
          y: { field: "run", type: "nominal", sort: null, title: null },
          x: { field: "value", type: "quantitative", scale: { type: "log" }, title: "records/s" },
        },
        width: 480,
      },
      {
        title: "end-to-end latency at 50% of saturation (ms, log scale)",
        data: { values: latency },
        mark: "bar",
        encoding: {
          y: { field: "run", type: "nominal", sort: null, title: null },
          yOffset: { field: "percentile" },
          x: { field: "ms", type: "quantitative", scale: { type: "log" }, title: "ms" },
          color: { field: "percentile", type: "nominal" },
        },
        width: 480,
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  const path = join(REPO_ROOT, "bench/results", file);
  writeFileSync(path, svg);
  return path;
}
