/**
 * `embed` through the test driver with the real encoder: unit vectors, same-category texts closer than others,
 * missing or empty text dead-lettered with the field named while the neighbours go through, bad model at start.
 */
import { describe, expect, it } from "vitest";
import { generateLabelledEvents } from "../../../models/synthetic.ts";
import { modelIdOf } from "../../../processors/model-files.ts";
import { driverFor, ENCODER_DIR } from "./helpers.ts";

const EMBED = (model = "models/encoder") => `
  - name: embed
    type: embed
    from: events
    embed: { model: ${model} }`;

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

describe("embed", () => {
  it("writes a 64-d unit vector and the encoder id; same-category texts are closer", async () => {
    const labelled = generateLabelledEvents(120, 5);
    const driver = await driverFor(EMBED(), { sinkFrom: "embed" });
    await driver.pipeInput(
      "enterprise-events",
      labelled.map((l) => ({ value: l.event })),
    );
    const out = driver.readValues("out") as { event_id: string; embedding: number[]; embedding_model_id: string }[];
    expect(out.map((o) => o.event_id)).toEqual(labelled.map((l) => l.event.event_id));
    expect(out[0]?.embedding_model_id).toBe(await modelIdOf(ENCODER_DIR));
    for (const o of out) {
      expect(o.embedding).toHaveLength(64);
      expect(Math.abs(dot(o.embedding, o.embedding) - 1)).toBeLessThan(1e-4);
    }
    let same = 0;
    let sameN = 0;
    let other = 0;
    let otherN = 0;
    for (let i = 0; i < out.length; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const s = dot(out[i]!.embedding, out[j]!.embedding);
        if (labelled[i]!.category === labelled[j]!.category) [same, sameN] = [same + s, sameN + 1];
        else [other, otherN] = [other + s, otherN + 1];
      }
    }
    expect(same / sameN).toBeGreaterThan(other / otherN + 0.3);
    await driver.close();
  });

  it("dead-letters records with missing or empty text, naming the field, and passes their neighbours", async () => {
    const events = generateLabelledEvents(5, 6).map((l) => l.event as unknown as Record<string, unknown>);
    events[1] = { ...events[1], text: "   " };
    const { text: _dropped, ...noText } = events[3]!;
    events[3] = noText;
    const driver = await driverFor(EMBED(), { sinkFrom: "embed", source: "json" });
    await driver.pipeInput(
      "enterprise-events",
      events.map((value) => ({ value })),
    );
    expect((driver.readValues("out") as { event_id: string }[]).map((o) => o.event_id)).toEqual(
      [0, 2, 4].map((i) => events[i]!.event_id),
    );
    const letters = driver.deadLetters();
    expect(letters.map((l) => [l.record.source.offset, l.errorClass])).toEqual([
      [1, "PoisonRecordError"],
      [3, "PoisonRecordError"],
    ]);
    expect(letters[0]?.reason).toMatch(/text field text is empty/);
    expect(letters[1]?.reason).toMatch(/text field text is missing/);
    await driver.close();
  });

  it("fails at start, naming the file, when the model folder has no model", async () => {
    await expect(driverFor(EMBED("models/kb"), { sinkFrom: "embed" })).rejects.toThrow(/models\/kb\/model\.json/);
  });
});
