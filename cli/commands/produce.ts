/**
 * `sluice produce`: JSONL, CSV, stdin or `--generate N` synthetic events → a topic, validated against the Avro
 * schema and encoded in the registry wire format.
 */
import { extname, resolve } from "node:path";
import type { Command } from "commander";
import type { OnInvalid } from "../../produce/produce.ts";
import { endpoints } from "../../stack/config.ts";
import { EXIT } from "../exit-codes.ts";
import { progress } from "../progress.ts";

interface ProduceCliOptions {
  topic: string;
  from?: string;
  format?: "jsonl" | "csv";
  generate?: number;
  seed: number;
  schema: string;
  subject?: string;
  key?: string;
  onInvalid: OnInvalid;
  dlqTopic?: string;
  rate?: number;
  batch: number;
  json?: boolean;
}

export function registerProduceCommand(program: Command): void {
  program
    .command("produce")
    .description("send records (JSONL, CSV, stdin, or synthetic) to a topic as Avro in the registry wire format")
    .requiredOption("--topic <topic>", "destination topic (must exist)")
    .option("--from <file>", "JSONL or CSV file, or - for stdin")
    .option("--format <format>", "jsonl or csv (default: from the file extension; jsonl for stdin)")
    .option("--generate <n>", "send N synthetic reference events instead of reading input", (v) => Number(v))
    .option("--seed <n>", "seed of --generate", (v) => Number(v), 42)
    .option("--schema <avsc>", "Avro schema the records must match", "schemas/enterprise-event.avsc")
    .option("--subject <subject>", "registry subject (default: <topic>-value)")
    .option("--key <field>", "field whose text becomes the record key")
    .option("--on-invalid <mode>", "fail | skip | dlq", "fail")
    .option("--dlq-topic <topic>", "where --on-invalid dlq sends invalid lines (default: <topic>.invalid)")
    .option("--rate <n>", "records per second at most", (v) => Number(v))
    .option("--batch <n>", "records per producer request", (v) => Number(v), 500)
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      `
Examples:
  sluice produce --topic enterprise-events --generate 20000 --key tenant_id
  sluice produce --topic enterprise-events --from tickets.jsonl --on-invalid skip
  cat export.csv | sluice produce --topic enterprise-events --from - --format csv --rate 500`,
    )
    .action(async (options: ProduceCliOptions) => {
      if ((options.from === undefined) === (options.generate === undefined)) {
        throw new Error("give exactly one of --from <file|-> and --generate <n>");
      }
      if (!["fail", "skip", "dlq"].includes(options.onInvalid))
        throw new Error("--on-invalid must be fail, skip or dlq");
      // The Kafka client and the Avro tooling load only when this command runs.
      const [{ kafkaClientFor }, { loadSchema, preflight, produce, reader }, { generate }] = await Promise.all([
        import("../../topologies/runtime/kafka/kafkajs-client.ts"),
        import("../../produce/produce.ts"),
        import("../../produce/readers.ts"),
      ]);
      const schemaFile = resolve(options.schema); // relative to the working directory
      const type = loadSchema(schemaFile);
      const format = options.format ?? (options.from && extname(options.from) === ".csv" ? "csv" : "jsonl");
      if (options.from && options.from !== "-" && options.onInvalid === "fail") {
        const problems = await preflight(reader(options.from, format, type), type);
        if (problems.length > 0) {
          process.stderr.write(
            `${problems.slice(0, 50).join("\n")}\nnothing was sent: ${problems.length} invalid record(s)\n`,
          );
          process.exitCode = EXIT.INVALID;
          return;
        }
      }
      const records = options.from
        ? reader(options.from, format, type)
        : generate(options.generate as number, options.seed);
      const services = endpoints();
      const bar = progress(`produce ${options.topic}`, options.generate);
      const summary = await produce(records, {
        kafka: kafkaClientFor({ clientId: "sluice-produce", brokers: services.kafkaBrokers }),
        registryUrl: services.schemaRegistryUrl,
        topic: options.topic,
        schemaFile,
        onInvalid: options.onInvalid,
        batchSize: options.batch,
        ...(options.subject ? { subject: options.subject } : {}),
        ...(options.key ? { keyField: options.key } : {}),
        ...(options.dlqTopic ? { dlqTopic: options.dlqTopic } : {}),
        ...(options.rate ? { rate: options.rate } : {}),
        onProgress: (p) => bar.update(p.sent + p.invalid, p.invalid ? `(${p.invalid} invalid)` : ""),
      }).finally(() => bar.stop());
      if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        for (const problem of summary.problems) process.stderr.write(`invalid: ${problem}\n`);
        const rate = Math.round(summary.sent / Math.max(summary.seconds, 0.001));
        process.stdout.write(
          `sent ${summary.sent} records to ${options.topic} in ${summary.seconds.toFixed(1)}s (${rate} rec/s); invalid ${summary.invalid}${summary.deadLettered ? `, dead-lettered ${summary.deadLettered}` : ""}\n`,
        );
      }
    });
}
