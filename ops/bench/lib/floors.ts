/**
 * Runs a client-floor program (ops/bench/clients/<client>.ts) as its own process: consume alone on a topic that
 * holds `records`, or produce alone `records` into a fresh 6-partition topic (deleted after). The program times
 * itself and prints one JSON line, returned here.
 */
import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../repo-root.ts";
import { LOG_DIR } from "./processes.ts";
import { createTopic, deleteTopics } from "./topics.ts";

export interface FloorResult {
  client: string;
  mode: string;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  cpuSeconds: number;
  cpuSecondsPer1000: number;
  peakRssMiB: number;
}

export const CLIENTS_DIR = join(REPO_ROOT, "ops/bench/clients");

/** Runs `program` (a file name under ops/bench/clients) once; rejects after `timeoutMs` or on a non-zero exit. */
export function runFloorProgram(program: string, args: string[], timeoutMs = 180_000): Promise<FloorResult> {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = openSync(join(LOG_DIR, `floor-${program.replace(/\W+/g, "-")}-${args[0]}.log`), "w");
  const child = spawn("node", ["--import", "tsx", join(CLIENTS_DIR, program), ...args], {
    cwd: CLIENTS_DIR,
    stdio: ["ignore", "pipe", log],
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${program} ${args[0]} ran past ${timeoutMs} ms (log in ${LOG_DIR})`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !line.startsWith("{")) reject(new Error(`${program} ${args[0]} exited ${code} (${LOG_DIR})`));
      else resolve(JSON.parse(line) as FloorResult);
    });
  });
}

/** Consume alone on `input` (holding `records`), then produce alone as many into a fresh topic. */
export async function clientFloors(
  program: string,
  input: string,
  records: number,
  schemaId: number,
): Promise<{ consume: FloorResult; produce: FloorResult }> {
  const consume = await runFloorProgram(program, ["consume", input, String(records), String(schemaId)]);
  const topic = `bench-floor-out-${program.replace(/\W+/g, "-")}-${Date.now().toString(36)}`;
  await createTopic(topic, 6);
  try {
    const produce = await runFloorProgram(program, ["produce", topic, String(records), String(schemaId)]);
    console.error(
      `floor ${program}: consume ${consume.recordsPerSecond}/s ${consume.cpuSecondsPer1000} CPU-s/1000, ` +
        `produce ${produce.recordsPerSecond}/s ${produce.cpuSecondsPer1000} CPU-s/1000`,
    );
    return { consume, produce };
  } finally {
    await deleteTopics([topic]);
  }
}
