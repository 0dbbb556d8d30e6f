/**
 * A logged batch failure keeps its reasons: "ClickHouse refused 2 rows" comes with ClickHouse's own message for
 * each row, not `failures: {}` (a Map serialised by JSON). Runs the real logger in a child process, reads stderr.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const SCRIPT = `
import { BatchError, PoisonRecordError } from "./core/errors.ts";
import { createLogger } from "./core/logger.ts";
const error = new BatchError("sink pipeline-metrics: ClickHouse refused 2 rows")
  .failed(0, new PoisonRecordError("ClickHouse refused the row for pipeline_metrics: Cannot parse input: expected '\\"' before: 'x'"))
  .failed(3, new PoisonRecordError("ClickHouse refused the row for pipeline_metrics: Unknown field found while parsing JSONEachRow format: bogus"));
createLogger({ pretty: false }).warn({ err: error, rows: 4 }, "pipeline metrics not written yet; kept");
`;

describe("logged batch failures", () => {
  it("carry every refused row's reason and the count", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    const line = JSON.parse(r.stderr.trim().split("\n").at(-1)!) as { err: Record<string, unknown> };
    expect(line.err.message).toBe("sink pipeline-metrics: ClickHouse refused 2 rows");
    expect(line.err.failureCount).toBe(2);
    expect(line.err.failures).toEqual({
      "0": "ClickHouse refused the row for pipeline_metrics: Cannot parse input: expected '\"' before: 'x'",
      "3": "ClickHouse refused the row for pipeline_metrics: Unknown field found while parsing JSONEachRow format: bogus",
    });
  });
});
