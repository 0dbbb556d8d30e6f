/**
 * Start-up of the `sluice` command (issue 17, item 6): wall time (median of N runs) and peak RSS of `--help`,
 * `validate` and `describe` of the reference topology, and the time to validate a generated 5 MB topology (a
 * chain of filter processors). Also measures the same commands from an esbuild bundle of cli/main.ts, to see
 * whether a compiled bin would beat tsx. Needs no services.
 *
 * `node --import tsx ops/bench/startup.ts [--runs 7] [--no-bundle]`, or as the `startup` section of `npm run bench`.
 * Writes bench/results/startup.json.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { writeResult } from "./lib/results.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TRIAGE = "topologies/examples/support-triage.yaml";

export interface StartupOptions {
  /** Runs per command; the median is reported. @default 7 */
  runs?: number;
  /** Size of the generated topology validated for the big-file figure. @default 5 MB */
  bigFileBytes?: number;
  /** Also time an esbuild bundle of the CLI. @default true */
  bundle?: boolean;
}

interface Sample {
  ms: number;
  /** CPU time (user + system) of the child: steadier than wall time on a shared machine. */
  cpuMs: number;
  rssMiB: number;
  code: number | null;
}

interface Figures {
  command: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  medianCpuMs: number;
  medianRssMiB: number;
  exitCodes: number[];
}

/** Peak RSS and CPU time of the child, written by a preload when it exits (portable: no /usr/bin/time needed). */
const USAGE_PRELOAD = `data:text/javascript,${encodeURIComponent(
  'import { writeFileSync } from "node:fs"; process.on("exit", () => writeFileSync(process.env.SLUICE_BENCH_USAGE_FILE, JSON.stringify(process.resourceUsage())));',
)}`;

function runOnce(bin: string, args: string[], scratch: string): Sample {
  const usageFile = join(scratch, "usage.json");
  rmSync(usageFile, { force: true });
  const started = performance.now();
  const r = spawnSync(process.execPath, ["--import", USAGE_PRELOAD, bin, ...args], {
    cwd: ROOT,
    env: { ...process.env, SLUICE_BENCH_USAGE_FILE: usageFile },
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
    timeout: 120_000,
  });
  const ms = performance.now() - started;
  let usage = { maxRSS: Number.NaN, userCPUTime: Number.NaN, systemCPUTime: Number.NaN };
  try {
    usage = JSON.parse(readFileSync(usageFile, "utf8")) as typeof usage;
  } catch {}
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
  return { ms, cpuMs, rssMiB: usage.maxRSS / 1024, code: r.status };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const round = (n: number, digits = 0) => Number(n.toFixed(digits));

function measure(bin: string, args: string[], runs: number, scratch: string): Figures {
  runOnce(bin, args, scratch); // warm the file cache and tsx's transform cache
  const samples = Array.from({ length: runs }, () => runOnce(bin, args, scratch));
  const ms = samples.map((s) => s.ms);
  return {
    command: `sluice ${args.join(" ")}`,
    medianMs: round(median(ms)),
    minMs: round(Math.min(...ms)),
    maxMs: round(Math.max(...ms)),
    medianCpuMs: round(median(samples.map((s) => s.cpuMs))),
    medianRssMiB: round(median(samples.map((s) => s.rssMiB)), 1),
    exitCodes: [...new Set(samples.map((s) => s.code ?? -1))],
  };
}

/** A valid topology of about `bytes` bytes: one source, a chain of filter processors, one sink. */
export function chainTopology(bytes: number): { text: string; processors: number } {
  const head = `applicationId: startup-bench\nkafka:\n  brokers: 127.0.0.1:9092\nsources:\n  - name: in\n    topic: in\n    value: { format: json }\nprocessors:\n`;
  const parts = [head];
  let size = head.length;
  let from = "in";
  let n = 0;
  while (size < bytes) {
    const part = `  - name: p${n}\n    type: filter\n    from: ${from}\n    filter:\n      predicate: value.amount > ${n}.0\n`;
    parts.push(part);
    size += part.length;
    from = `p${n}`;
    n++;
  }
  parts.push(
    `sinks:\n  - name: out\n    type: kafka\n    from: ${from}\n    kafka:\n      topic: out\n      value: { format: json }\n`,
  );
  return { text: parts.join(""), processors: n };
}

/**
 * Bundles cli/main.ts with esbuild (code splitting keeps each command's modules lazy) under node_modules/.cache,
 * so packages resolve from the repo's node_modules as they do for tsx; undefined if it fails.
 */
function bundleCli(): string | undefined {
  const outdir = join(ROOT, "node_modules", ".cache", "sluice-startup-bundle");
  rmSync(outdir, { recursive: true, force: true });
  const esbuild = join(ROOT, "node_modules", ".bin", "esbuild");
  const r = spawnSync(
    esbuild,
    [
      "cli/main.ts",
      "--bundle",
      "--splitting",
      "--format=esm",
      "--platform=node",
      "--target=node20",
      "--packages=external",
      `--outdir=${outdir}`,
      "--log-level=error",
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (r.status !== 0) {
    console.error(`esbuild bundle failed: ${r.stderr}`);
    return undefined;
  }
  const bin = join(outdir, "bin.mjs");
  writeFileSync(
    bin,
    `${readFileSync(join(ROOT, "cli/bin.mjs"), "utf8")
      .replace(/^import \{ register \} from "tsx\/esm\/api";$/m, "")
      .replace(/^register\(\);$/m, "")
      .replace('import("./main.ts")', `import(${JSON.stringify(pathToFileURL(join(outdir, "main.js")).href)})`)}`,
  );
  return bin;
}

export async function benchStartup(options: StartupOptions = {}) {
  const runs = options.runs ?? 7;
  const scratch = mkdtempSync(join(tmpdir(), "sluice-startup-"));
  try {
    const big = chainTopology(options.bigFileBytes ?? 5 * 1024 * 1024);
    const bigFile = join(scratch, "chain.yaml");
    writeFileSync(bigFile, big.text);
    const commands = [["--help"], ["validate", TRIAGE], ["describe", TRIAGE]];
    const tsx = commands.map((args) => measure("cli/bin.mjs", args, runs, scratch));
    const bigValidate = measure("cli/bin.mjs", ["validate", bigFile], Math.min(runs, 3), scratch);
    let bundled: Figures[] | undefined;
    if (options.bundle !== false) {
      // The bundle's import.meta.url is its own folder, so path defaults in its --help text differ; timing only.
      const bin = bundleCli();
      if (bin) bundled = commands.map((args) => measure(bin, args, runs, scratch));
    }
    const result = {
      runs,
      note: "wall time includes node's own start (~40-100 ms); on a shared machine wall times are noisy: compare CPU times",
      tsx,
      bigFile: {
        bytes: statSync(bigFile).size,
        processors: big.processors,
        ...bigValidate,
        command: `sluice validate <generated ${big.processors}-processor chain>`,
      },
      ...(bundled ? { esbuildBundle: bundled } : {}),
    };
    const file = writeResult("startup", result);
    return { ...result, file };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "7" }, "no-bundle": { type: "boolean", default: false } },
  });
  const result = await benchStartup({ runs: Number(values.runs), bundle: !values["no-bundle"] });
  for (const f of [...result.tsx, result.bigFile, ...(result.esbuildBundle ?? [])]) {
    console.log(
      `${f.command.padEnd(60)} median ${f.medianMs} ms (min ${f.minMs}, max ${f.maxMs}), CPU ${f.medianCpuMs} ms, RSS ${f.medianRssMiB} MiB`,
    );
  }
  console.log(`written to ${result.file}`);
}
