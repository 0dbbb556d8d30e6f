/** The local-module tool of ops/bench/tool-journal.ts: a pure function, so only sluice's own cost is measured. */
export default function score(args: Record<string, unknown>): { score: number } {
  return { score: Number(args.amount) / 1000 };
}
