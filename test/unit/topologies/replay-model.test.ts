/**
 * `sluice replay --model`: from the YAML a user writes, the infer node scores with the named candidate (by id,
 * its folder resolved against the topology file) or with a model folder, its shadow and canary candidates dropped;
 * a name that is neither is an error naming the candidates.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors.ts";
import { REPO_ROOT } from "../../../ops/repo-root.ts";
import { useReplayModel } from "../../../topologies/replay-model.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

const yaml = `applicationId: replay-model
kafka: { brokers: "localhost:9092" }
sources: [{ name: events, topic: in, value: { format: json } }]
processors:
  - name: classify
    type: infer
    from: events
    infer:
      model: models/classifier
      inputField: features
      candidates: [{ id: v2, model: models/classifier, mode: shadow }]
sinks: [{ name: out, type: kafka, from: classify, kafka: { topic: out, value: { format: json } } }]
`;
const load = () => parseTopology(yaml, { baseDir: REPO_ROOT, env: {} });
const inferOf = (l: ReturnType<typeof load>) =>
  (l.spec.processors[0] as unknown as { infer: { model: string; candidates: unknown[] } }).infer;

describe("replay --model", () => {
  it("uses a candidate by id, or a model folder, as the only model", () => {
    const byId = load();
    expect(useReplayModel(byId, "v2")).toEqual({
      processor: "classify",
      model: path.join(REPO_ROOT, "models/classifier"),
      candidateId: "v2",
    });
    expect(inferOf(byId)).toMatchObject({ model: path.join(REPO_ROOT, "models/classifier"), candidates: [] });
    const byFolder = load();
    expect(useReplayModel(byFolder, path.join(REPO_ROOT, "models/classifier")).candidateId).toBeUndefined();
  });

  it("rejects a name that is neither a candidate nor a model folder", () => {
    expect(() => useReplayModel(load(), "v3")).toThrow(ConfigError);
    expect(() => useReplayModel(load(), "v3")).toThrow(/neither a candidate id of classify \(v2\) nor a model folder/);
  });
});
