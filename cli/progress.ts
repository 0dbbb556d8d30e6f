/**
 * Progress for long commands: a cli-progress bar with records/s and ETA on a TTY, a plain line every few seconds
 * otherwise (logs and CI stay readable).
 */
import { createRequire } from "node:module";

/** cli-progress loads only when a bar is drawn (a TTY), not with every command module. */
const loadCliProgress = () => createRequire(import.meta.url)("cli-progress") as typeof import("cli-progress");

export interface Progress {
  update(done: number, extra?: string): void;
  stop(): void;
}

export function progress(
  label: string,
  total: number | undefined,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  const started = performance.now();
  if (stream.isTTY && total !== undefined) {
    const cliProgress = loadCliProgress();
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate} rec/s | ETA {eta_formatted} {extra}`,
        stream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: 0, extra: "" });
    return {
      update(done, extra = "") {
        const seconds = (performance.now() - started) / 1000;
        bar.update(done, { rate: Math.round(done / Math.max(seconds, 0.001)), extra });
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(done, extra = "") {
      const now = performance.now();
      if (now - last < 5000) return;
      last = now;
      const seconds = (now - started) / 1000;
      const of = total === undefined ? "" : `/${total}`;
      stream.write(`${label}: ${done}${of} records, ${Math.round(done / Math.max(seconds, 0.001))} rec/s ${extra}\n`);
    },
    stop() {},
  };
}
