/**
 * `sluice kb build|update|info`: the agent's knowledge base in embedded LanceDB, embedded with the same TF.js
 * encoder the topology uses (a table refuses vectors from another encoder).
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import type { KbInfo, KbProgress } from "../../processors/knowledge-base.ts";
import { progress } from "../progress.ts";

/** LanceDB and TF.js load only when a kb command runs, not for every `sluice` start. */
const knowledgeBase = () => import("../../processors/knowledge-base.ts");

interface KbCliOptions {
  from: string;
  table: string;
  db: string;
  encoder: string;
  textField: string;
  json?: boolean;
}

function printInfo(info: KbInfo, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    return;
  }
  const index = info.indices.length
    ? info.indices.map((i) => `${i.type} on ${i.columns.join(",")}`).join("; ")
    : "none (exact search)";
  process.stdout.write(
    `table ${info.table}: ${info.rows} rows, version ${info.version}, ${info.dim}-dim vectors\n  encoder ${info.encoderModelId ?? "unknown"}\n  index ${index}\n`,
  );
}

function withProgress(label: string) {
  let bar: ReturnType<typeof progress> | undefined;
  let phase = "";
  return {
    onProgress(p: KbProgress) {
      if (p.phase !== phase) {
        bar?.stop();
        phase = p.phase;
        bar = progress(`${label} ${p.phase}`, p.total);
      }
      bar?.update(p.done);
    },
    stop: () => bar?.stop(),
  };
}

export function registerKbCommand(program: Command): void {
  // Defaults resolve against the working directory, never the installed package's own folder.
  const defaultDb = resolve(".stack/lancedb");
  const kb = program
    .command("kb")
    .description("build, update and inspect the LanceDB knowledge base the enrich stage searches")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice kb build --from models/kb/docs.jsonl --table support_kb\n  sluice kb update --from new-articles.jsonl --table support_kb\n  sluice kb info --table support_kb --json",
    );
  const common = (command: Command) =>
    command
      .requiredOption("--table <name>", "table name")
      .option("--db <dir>", "LanceDB folder", process.env.SLUICE_KB_DB ?? defaultDb)
      .option("--encoder <dir>", "TF.js encoder model folder", resolve("models/encoder"))
      .option("--json", "print JSON");

  /** build and update differ only in the LanceDB write: both embed `--from` with the same encoder. */
  const write = (label: string, action: "buildKnowledgeBase" | "updateKnowledgeBase") => async (o: KbCliOptions) => {
    const run = (await knowledgeBase())[action];
    const p = withProgress(label);
    const options = { db: o.db, table: o.table, encoder: o.encoder, textField: o.textField, onProgress: p.onProgress };
    printInfo(await run(o.from, options).finally(p.stop), o.json);
  };

  common(kb.command("build").description("embed docs.jsonl and (re)create the table; index above 10 000 rows"))
    .requiredOption("--from <file>", "JSONL documents (one object per line, a text field)")
    .option("--text-field <field>", "field to embed", "text")
    .action(write("kb build", "buildKnowledgeBase"));

  common(kb.command("update").description("embed and append documents (same encoder only)"))
    .requiredOption("--from <file>", "JSONL documents")
    .option("--text-field <field>", "field to embed", "text")
    .action(write("kb update", "updateKnowledgeBase"));

  common(kb.command("info").description("rows, version, index and the encoder's model id")).action(
    async (o: KbCliOptions) => {
      const { knowledgeBaseInfo } = await knowledgeBase();
      printInfo(await knowledgeBaseInfo(o.db, o.table), o.json);
    },
  );
}
