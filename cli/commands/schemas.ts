/**
 * `sluice schemas register|check`: registers the `.avsc` files of a folder under their subjects
 * (schemas/subjects.json), or tests them for compatibility against the registry before a deploy, failing with
 * the incompatible fields named.
 */
import type { Command } from "commander";
import { endpoints } from "../../stack/config.ts";
import { EXIT } from "../exit-codes.ts";

interface SchemaOptions {
  dir: string;
  registry?: string;
  json?: boolean;
}

export function registerSchemasCommand(program: Command): void {
  const schemas = program
    .command("schemas")
    .description("register Avro schemas or check their compatibility with the registry")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice schemas register\n  sluice schemas check --json\n  sluice schemas check --dir schemas --registry http://127.0.0.1:28081/apis/ccompat/v7",
    );
  const common = (command: Command) =>
    command
      .option("--dir <dir>", "folder of .avsc files (and subjects.json)", "schemas")
      .option("--registry <url>", "registry URL (Confluent API) (default: $SCHEMA_REGISTRY_URL or the local stack)")
      .option("--json", "print JSON");

  common(schemas.command("register").description("register every schema under its subjects")).action(
    async (options: SchemaOptions) => {
      const { registerSchemas } = await import("../../schemas/registry-tools.ts");
      const registered = await registerSchemas(options.dir, options.registry ?? endpoints().schemaRegistryUrl);
      process.stdout.write(
        options.json
          ? `${JSON.stringify(registered, null, 2)}\n`
          : `${registered.map((r) => `${r.subject.padEnd(28)} id ${r.id}  (${r.file})`).join("\n")}\n`,
      );
    },
  );

  common(schemas.command("check").description("test every schema against the registered versions")).action(
    async (options: SchemaOptions) => {
      const { checkCompatibility } = await import("../../schemas/registry-tools.ts");
      const results = await checkCompatibility(options.dir, options.registry ?? endpoints().schemaRegistryUrl);
      if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else {
        for (const r of results) {
          const state = !r.registered ? "new" : r.compatible ? "compatible" : "INCOMPATIBLE";
          process.stdout.write(`${r.subject.padEnd(28)} ${state.padEnd(12)} ${r.level}  (${r.file})\n`);
          for (const reason of r.reasons) process.stdout.write(`    ${reason}\n`);
        }
      }
      if (results.some((r) => !r.compatible)) process.exitCode = EXIT.INVALID;
    },
  );
}
