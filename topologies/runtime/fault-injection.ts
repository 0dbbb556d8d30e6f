/**
 * Fault-injection hook for tests: with `SLUICE_TEST_CRASH_AFTER_ACKS=<sink>:<n>`, the process kills itself
 * (SIGKILL) right after the n-th acknowledged write to that sink, before its offsets can be committed.
 */

let acksBeforeCrash: { sink: string; left: number } | undefined = (() => {
  const spec = process.env.SLUICE_TEST_CRASH_AFTER_ACKS;
  const match = spec ? /^(.+):(\d+)$/.exec(spec) : null;
  return match ? { sink: match[1] as string, left: Number(match[2]) } : undefined;
})();

/** Called after each acknowledged write to `sink`. */
export function crashAfterAck(sink: string): void {
  if (acksBeforeCrash?.sink !== sink) return;
  acksBeforeCrash.left--;
  if (acksBeforeCrash.left <= 0) {
    acksBeforeCrash = undefined;
    process.kill(process.pid, "SIGKILL");
  }
}
