import { describe, expect, it } from "vitest";
import { formatTaskReport, memberReport } from "../../../topologies/runtime/member-report.ts";
import type { Task } from "../../../topologies/runtime/task.ts";

const fakeTask = (recordsIn: number, paused = false, pauseReason = "") =>
  ({ stats: { recordsIn, paused, pauseReason } }) as unknown as Task;

describe("member report (/tasks)", () => {
  it("reports each assigned partition as restoring with progress, running, paused or waiting", () => {
    const report = memberReport({
      applicationId: "app",
      runId: "live",
      state: "running",
      assignment: [
        { topic: "in", partition: 2 },
        { topic: "in", partition: 0 },
        { topic: "in", partition: 1 },
        { topic: "in", partition: 3 },
      ],
      tasks: new Map([
        ["in:1", fakeTask(100)],
        ["in:2", fakeTask(7, true, "sink decisions: circuit open")],
      ]),
      restoring: new Set([0]),
      restoreProgress: (p) => (p === 0 ? [{ store: "counts", restored: 250, total: 1000 }] : []),
    });
    expect(report.tasks).toEqual([
      {
        topic: "in",
        partition: 0,
        state: "restoring",
        recordsIn: 0,
        restore: [{ store: "counts", restored: 250, total: 1000 }],
      },
      { topic: "in", partition: 1, state: "running", recordsIn: 100 },
      { topic: "in", partition: 2, state: "paused", reason: "sink decisions: circuit open", recordsIn: 7 },
      { topic: "in", partition: 3, state: "waiting", recordsIn: 0 },
    ]);
    expect(formatTaskReport(report.tasks[0] as never)).toMatch(/^in\/0\s+restoring\s+counts 250\/1000 \(25%\)$/);
    expect(formatTaskReport(report.tasks[2] as never)).toMatch(/paused\s+7 in; sink decisions: circuit open$/);
  });
});
