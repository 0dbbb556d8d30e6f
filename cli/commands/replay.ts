/**
 * `sluice replay <topology> --from … --to …`: a bounded backfill under a fresh consumer group and run id; the
 * live group's committed offsets are never touched. The work is in replay-topology.ts, loaded when it runs.
 */
import type { Command } from "commander";
import type { ReplayOptions } from "./replay-topology.ts";

export function registerReplayCommand(program: Command): void {
  program
    .command("replay")
    .description("backfill: run a topology over a bounded range of its input, under a new run id")
    .argument("<topology>", "topology YAML file")
    .requiredOption("--from <bound>", "ISO time, epoch ms, offset:N or earliest")
    .requiredOption("--to <bound>", "ISO time, epoch ms, offset:N or latest")
    .option("--run-id <id>", "run id stamped on every output (default: replay-<time>)")
    .option("--dry-run", "print the plan (partitions, offsets, record counts) and exit")
    .option("--keep-group", "keep the replay's consumer group afterwards")
    .option("--json", "print the plan and summary as JSON")
    .option(
      "--tools <mode>",
      "tool calls in the replay: journal (journaled results, no calls), dry-run (validate and record, no calls) or live (default: each tool's replay: setting, journal unless set)",
    )
    .option("--allow-side-effects", "let tools in live mode call for real (audited)")
    .option(
      "--model <candidate>",
      "score with this candidate (an infer candidate id, or a model folder) instead of the primary",
    )
    .option("--diff", "after the replay, write decision_diff against --baseline and print the changed share")
    .option("--baseline <run-id>", "run whose decisions are the diff's old side", "live")
    .option(
      "--no-as-of",
      "enrich from the pinned/refreshed knowledge-base version instead of the one current at each event's time",
    )
    .option(
      "--as-of-fallback <mode>",
      "when that version was cleaned up: fail, or nearest (the nearest kept version, recorded)",
      "fail",
    )
    .addHelpText(
      "after",
      `
Examples:
  sluice replay topologies/examples/support-triage.yaml --from 2026-11-24T00:00:00Z --to 2026-11-25T00:00:00Z --dry-run
  sluice replay topologies/examples/support-triage.yaml --from earliest --to latest --run-id backfill-7
  sluice replay topologies/examples/payments-risk.yaml --from earliest --to latest --tools dry-run
  sluice replay topologies/examples/support-triage.yaml --from 2026-11-24T00:00:00Z --to latest --model v2 --diff

The live consumer group's offsets are never touched; outputs carry the run id (ClickHouse run_id, Kafka header
sluice-run-id), so replayed rows never mix with live ones. Tools make no calls in a replay unless a tool is in
live mode and --allow-side-effects is given; the audit log's start event records each tool's mode.
Enrich retrieves from the knowledge-base version that was current at each event's Kafka timestamp (LanceDB's
version history); --diff joins the replay's decisions with the baseline's by lineage key into decision_diff
(docs/replay.md).`,
    )
    .action(async (file: string, options: ReplayOptions) => {
      const { replayTopology } = await import("./replay-topology.ts");
      await replayTopology(file, options);
    });
}
