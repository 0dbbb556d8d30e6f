/**
 * `kb build|update|info` on a real LanceDB folder: the encoder id is recorded, updates upsert by doc_id,
 * another encoder is refused, bad documents name their line, and an ANN index appears above the threshold.
 */
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors.ts";
import { buildKnowledgeBase, knowledgeBaseInfo, updateKnowledgeBase } from "../../../processors/knowledge-base.ts";
import { modelIdOf } from "../../../processors/model-files.ts";
import { ENCODER_DIR, KB_DOCS, sampleDocs } from "./helpers.ts";

const tmp = (prefix: string) => mkdtemp(path.join(os.tmpdir(), prefix));

describe("knowledge base", () => {
  it("builds from docs.jsonl with progress, records the encoder id and reports info", async () => {
    const db = await tmp("sluice-kb-");
    const phases = new Set<string>();
    const info = await buildKnowledgeBase(KB_DOCS, {
      db,
      table: "support_kb",
      encoder: ENCODER_DIR,
      indexThreshold: Number.POSITIVE_INFINITY,
      onProgress: (p) => phases.add(p.phase),
    });
    expect(info).toMatchObject({
      table: "support_kb",
      rows: 2880,
      dim: 64,
      encoderModelId: await modelIdOf(ENCODER_DIR),
      indices: [],
    });
    expect([...phases]).toEqual(["read", "embed", "write"]);
    expect(await knowledgeBaseInfo(db, "support_kb")).toEqual(info);
  });

  it("upserts by doc_id with the same encoder and refuses vectors from another one", async () => {
    const db = await tmp("sluice-kb-");
    const docs = await sampleDocs(1);
    const built = await buildKnowledgeBase(docs, { db, table: "kb", encoder: ENCODER_DIR });
    const changed = { ...docs[0]!, text: "a rewritten article about refunds" };
    const added = { ...docs[0]!, doc_id: "kb-extra", text: "how to export data" };
    const updated = await updateKnowledgeBase([changed, added], { db, table: "kb", encoder: ENCODER_DIR });
    expect(updated.rows).toBe(built.rows + 1);
    expect(updated.version).toBeGreaterThan(built.version);

    const other = await tmp("sluice-enc-");
    await cp(ENCODER_DIR, other, { recursive: true });
    await writeFile(
      path.join(other, "tokenizer.json"),
      JSON.stringify({ kind: "hashed-ngrams", buckets: 2048, wordNgrams: [1], charNgrams: [3], maxChars: 2000 }),
    );
    await expect(updateKnowledgeBase([added], { db, table: "kb", encoder: other })).rejects.toThrow(
      /table kb was built with encoder sha256:\w+, not sha256:\w+/,
    );
    expect((await knowledgeBaseInfo(db, "kb")).rows).toBe(updated.rows);
  });

  it("names the line of a bad document, and the table when it is missing", async () => {
    const db = await tmp("sluice-kb-");
    const file = path.join(db, "docs.jsonl");
    await writeFile(file, `${JSON.stringify({ doc_id: "a", text: "ok" })}\n${JSON.stringify({ doc_id: "b" })}\n`);
    const error = await buildKnowledgeBase(file, { db, table: "kb", encoder: ENCODER_DIR }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatchObject({
      file,
      line: 2,
      message: "text must be a non-empty string",
    });
    await expect(knowledgeBaseInfo(db, "kb")).rejects.toThrow(/knowledge-base table kb does not exist/);
  });

  it("builds an IVF_PQ vector index and a bitmap index on the tenant once the table reaches the threshold", async () => {
    const db = await tmp("sluice-kb-");
    const docs = await sampleDocs(5);
    const info = await buildKnowledgeBase(docs, { db, table: "kb", encoder: ENCODER_DIR, indexThreshold: 300 });
    expect(info.indices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "IvfPq", columns: ["vector"] }),
        expect.objectContaining({ type: "Bitmap", columns: ["tenant_id"] }),
      ]),
    );
    expect(info.indices).toHaveLength(2);
  });
});
