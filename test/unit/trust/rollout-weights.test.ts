/**
 * Rollout arithmetic without a broker: which infer node a rollout targets, the weights after promote and
 * rollback, and `--since` spans. The control-topic round trip is in test/integration/decision-eval.test.ts.
 */
import { describe, expect, it } from "vitest";
import { parseSince } from "../../../cli/commands/eval.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { configuredWeights, nextWeights, rolloutTarget } from "../../../topologies/runtime/rollout.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";
import { ROOT } from "../ai/helpers.ts";

const topology = (candidates: string) =>
  compileTopology(
    parseTopology(
      `
applicationId: rollout-test
kafka: { brokers: localhost:9092 }
sources: [{ name: events, topic: events, value: { format: json } }]
processors:
  - name: classify
    type: infer
    from: events
    infer: { model: models/classifier, inputField: f, candidates: ${candidates} }
sinks: [{ name: out, type: kafka, from: classify, kafka: { topic: out, value: { format: json } } }]
`,
      { file: "t.yaml", baseDir: ROOT, env: {} },
    ),
  );

describe("rollout weights", () => {
  const two =
    "[{ id: v2, model: models/classifier, mode: canary, weight: 0.1 }, { id: v3, model: models/classifier, mode: shadow }]";

  it("targets the only infer node with candidates and refuses an unknown candidate", () => {
    const t = topology(two);
    expect(rolloutTarget(t, { action: "rollback", model: "v2" }).processor).toBe("classify");
    expect(() => rolloutTarget(t, { action: "rollback", model: "v9" })).toThrow(
      /has no candidate v9 \(candidates: v2, v3\)/,
    );
    expect(() => rolloutTarget(topology("[]"), { action: "rollback", model: "v2" })).toThrow(/--processor/);
  });

  it("promote sets a share (every key at 1, the others to 0); rollback sends a candidate's keys back", () => {
    const start = configuredWeights(rolloutTarget(topology(two), { action: "promote", model: "v3" }).candidates);
    expect(start).toEqual({ v2: 0.1, v3: 0 });
    expect(nextWeights(start, { action: "promote", model: "v3", weight: 0.3 })).toEqual({ v2: 0.1, v3: 0.3 });
    expect(nextWeights(start, { action: "promote", model: "v3" })).toEqual({ v2: 0, v3: 1 });
    expect(nextWeights(start, { action: "rollback", model: "v2" })).toEqual({ v2: 0, v3: 0 });
    expect(() => nextWeights({ v2: 0.6, v3: 0 }, { action: "promote", model: "v3", weight: 0.5 })).toThrow(
      /add up to 1.100/,
    );
  });

  it("rejects canary weights over 1 and duplicate ids when the topology is compiled", () => {
    expect(() =>
      topology("[{ id: a, model: m, mode: canary, weight: 0.7 }, { id: b, model: m, mode: canary, weight: 0.4 }]"),
    ).toThrow(/canary weights add up to more than 1/);
    expect(() => topology("[{ id: a, model: m, mode: shadow }, { id: a, model: m, mode: shadow }]")).toThrow(/unique/);
  });

  it("reads --since as a date, an ISO time or a span back from now", () => {
    const now = Date.UTC(2026, 11, 3, 12, 0, 0);
    expect(parseSince("7d", now)).toBe(now - 7 * 86_400_000);
    expect(parseSince("12h", now)).toBe(now - 12 * 3_600_000);
    expect(parseSince("2026-12-01", now)).toBe(Date.UTC(2026, 11, 1));
    expect(() => parseSince("last week", now)).toThrow(/give a date/);
  });
});
