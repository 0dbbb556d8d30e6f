/**
 * The text summary `sluice replay --diff` prints (analytics/replay-diff.ts formatDiff): the changed share, by
 * class and by tenant, the transitions, the largest movers, and how many replayed records had no baseline.
 */
import { describe, expect, it } from "vitest";
import { type DiffReport, formatDiff } from "../../../analytics/replay-diff.ts";

const report: DiffReport = {
  runId: "cand",
  baselineRunId: "live",
  replayed: 1002,
  compared: 1000,
  changed: 25,
  changedShare: 0.025,
  byClass: [{ class: "auto_resolve", records: 600, changed_records: 20, changed_share: 20 / 600 }],
  byTenant: [{ tenant_id: "tenant-007", records: 40, changed_records: 5, changed_share: 0.125 }],
  transitions: [{ old_decision: "auto_resolve", new_decision: "escalate_to_human", records: 20 }],
  movers: [
    {
      source_topic: "events",
      source_partition: 1,
      source_offset: 42,
      tenant_id: "tenant-007",
      old_decision: "auto_resolve",
      old_confidence: 0.91,
      new_decision: "escalate_to_human",
      new_confidence: 0.55,
      confidence_delta: -0.36,
    },
  ],
  queryMs: 12,
};

describe("replay diff summary", () => {
  it("prints the changed share, the breakdowns and the unmatched records", () => {
    const text = formatDiff(report);
    expect(text).toMatch(/25 of 1000 decisions changed \(2\.50 %\); 2 replayed records have no baseline decision/);
    expect(text).toMatch(/auto_resolve\s+\|?\s*600\s+\|?\s*20\s+\|?\s*0\.0333/);
    expect(text).toMatch(/tenant-007\s+\|?\s*40\s+\|?\s*5\s+\|?\s*0\.1250/);
    expect(text).toMatch(/auto_resolve\s+\|?\s*escalate_to_human\s+\|?\s*20/);
    expect(text).toMatch(/events\s+\|?\s*1\s+\|?\s*42\s+\|?\s*tenant-007.*-0\.3600/);
  });
});
