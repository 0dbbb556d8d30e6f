/**
 * Writes models/README.md from the figures the training run measured, so the README never drifts from the
 * committed artifacts.
 */
import { writeFile } from "node:fs/promises";

interface Metrics {
  seed: number;
  backend: string;
  trainSeconds: number;
  data: { trainEvents: number; testEvents: number; kbDocs: number };
  encoder: { modelId: string; bytes: number; params: number; recallAt5: number; hitAt5: number };
  classifier: {
    modelId: string;
    bytes: number;
    params: number;
    inputWidth: number;
    accuracy: number;
    macroF1: number;
    perClass: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

export async function writeReadme(file: string, m: Metrics): Promise<void> {
  const rows = Object.entries(m.classifier.perClass)
    .map(([label, c]) => `| ${label} | ${pct(c.precision)} | ${pct(c.recall)} | ${c.f1.toFixed(3)} | ${c.support} |`)
    .join("\n");
  const text = `# models

TF.js LayersModels used by the reference topology (\`topologies/examples/support-triage.yaml\`). Both are made by
\`npm run models:train\` (\`models/train.ts\`, seed ${m.seed}) from synthetic enterprise-support data
(\`models/synthetic.ts\`): ${m.data.trainEvents} training events, ${m.data.testEvents} held-out events, and the
${m.data.kbDocs}-document knowledge base written to \`kb/docs.jsonl\`. This file is written by that script; the figures
below are from its last run (backend \`${m.backend}\`, ${m.trainSeconds} s on this machine). Nothing is downloaded at
run time.

A model's **id** is \`sha256:\` + 16 hex digits of the SHA-256 over every file of its folder (names and bytes, in name
order): \`model.json\`, \`weights.bin\` and the JSON sidecars. It is the version recorded in lineage.

## encoder/ — text → 64-d unit vector

- Input: hashed bag of word uni/bi-grams and character trigrams, 2048 buckets, log-scaled and L2-normalised
  (\`processors/hashed-text.ts\`; settings in the \`tokenizer.json\` sidecar, so the id covers the tokenizer).
- Network: 2048 → dense 128 (relu) → dense 64 (linear). Trained with a 6-way category softmax head that is then
  dropped; the \`embed\` processor L2-normalises the output (\`encoder.json\`: \`normalize: l2\`, \`distance: cosine\`).
- Id \`${m.encoder.modelId}\`, ${m.encoder.params} parameters, ${kib(m.encoder.bytes)} on disk.
- Quality on the held-out events, retrieving from the knowledge base filtered by the event's tenant (exact search,
  cosine distance): **recall@5 = ${pct(m.encoder.recallAt5)}** (share of the 5 retrieved documents whose category is
  the event's), hit@5 = ${pct(m.encoder.hitAt5)} (events with at least one right document in the 5).

## classifier/ — event features + retrieval → decision

- Input (${m.classifier.inputWidth} numbers, spec in the \`features.json\` sidecar, read by the \`infer\` processor): the
  embedding, customer tier (one-hot), log amount, log prior tickets, sentiment, account age, the share of each
  category among the retrieved documents, min and mean retrieval distance.
- Network: ${m.classifier.inputWidth} → 64 (relu) → dropout 0.1 → 32 (relu) → 4 (softmax); labels in \`labels.json\`.
- Id \`${m.classifier.modelId}\`, ${m.classifier.params} parameters, ${kib(m.classifier.bytes)} on disk.
- Quality on the held-out events (labels carry 3 % random noise by construction, so ~97 % is the ceiling):
  **accuracy ${pct(m.classifier.accuracy)}, macro F1 ${m.classifier.macroF1.toFixed(3)}**.

| class | precision | recall | F1 | support |
|---|---|---|---|---|
${rows}

## kb/docs.jsonl

The sample knowledge base: for every tenant and category, articles in that category's vocabulary
(\`generateKnowledgeBase(seed)\`). Build a LanceDB table from it with \`sluice kb build --from models/kb/docs.jsonl\`.
`;
  await writeFile(file, text);
}
