/**
 * The configuration reference is generated from the zod schemas; this fails CI when docs/configuration.md was not
 * regenerated after a schema change (`npm run docs:config`), and checks the reference covers what the spec holds.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OUTPUT, renderConfigReference } from "../../../ops/docs/config-reference.ts";
import { processorTypes } from "../../../processors/registry.ts";
import { secretPaths } from "../../../topologies/redact.ts";
import { topologySpec } from "../../../topologies/spec.ts";

const generated = await renderConfigReference();

describe("docs/configuration.md", () => {
  it("is what the generator writes from the current schemas (run `npm run docs:config` after a change)", () => {
    expect(readFileSync(OUTPUT, "utf8")).toBe(generated);
  });

  it("has a row for every top-level field and a section for every processor type, sink type and format", () => {
    for (const key of Object.keys(topologySpec.shape)) expect(generated).toContain(`| \`${key}\` |`);
    for (const type of processorTypes) expect(generated).toMatch(new RegExp(`### \`${type}\`\\n\\n\\S`));
    for (const type of ["kafka", "clickhouse", "dead-letter"]) expect(generated).toContain(`### \`${type}\``);
    for (const format of ["avro", "json", "string"]) expect(generated).toContain(`{format: ${format}}`);
  });

  it("lists exactly the secret fields the redaction uses", () => {
    const section = generated.slice(generated.indexOf("## Secret fields"));
    const listed = [...section.matchAll(/^- `([^`]+)`$/gm)].map((m) => (m[1] as string).replace(/\[\]/g, ".*"));
    expect(listed.sort()).toEqual(secretPaths().sort());
    expect(generated).toMatch(/\| `kafka\.sasl\.password` \| string \| yes \| {2}\| \*\*Secret\.\*\*/);
  });

  it("carries the TSDoc description and the zod default of a field", () => {
    expect(generated).toContain(
      "| `processing.batch.maxRecords` | integer > 0 | no | `64` | Records per micro-batch handed to `processBatch`. |",
    );
    expect(generated).toContain('| `enrich.refresh.policy` | "pinned" \\| "interval" \\| "latest" | no | `"pinned"` |');
  });
});
