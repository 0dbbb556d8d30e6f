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

/** How many records a produce floor sends (fewer when the consumed input holds fewer). */
export const PRODUCE_FLOOR_RECORDS = 300_000;

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

/**
 * Consume alone on `input` (holding `records`), then produce alone `produceRecords` (at most `records`) into a
 * fresh topic: a produce rate is steady after a few seconds, so fewer records save CPU on the shared machine.
 */
export async function clientFloors(
  program: string,
  input: string,
  records: number,
  schemaId: number,
  produceRecords = PRODUCE_FLOOR_RECORDS,
): Promise<{ consume: FloorResult; produce: FloorResult }> {
  const consume = await runFloorProgram(program, ["consume", input, String(records), String(schemaId)]);
  const topic = `bench-floor-out-${program.replace(/\W+/g, "-")}-${Date.now().toString(36)}`;
  await createTopic(topic, 6);
  try {
    const n = String(Math.min(records, produceRecords));
    const produce = await runFloorProgram(program, ["produce", topic, n, String(schemaId)]);
    console.error(
      `floor ${program}: consume ${consume.recordsPerSecond}/s ${consume.cpuSecondsPer1000} CPU-s/1000, ` +
        `produce ${produce.recordsPerSecond}/s ${produce.cpuSecondsPer1000} CPU-s/1000`,
    );
    return { consume, produce };
  } finally {
    await deleteTopics([topic]);
  }
}
