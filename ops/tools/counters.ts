/**
 * What the tool servers count, so tests can check side effects from the server's side: requests, distinct
 * idempotency keys (the side effects applied), repeated keys (answered from the server's own idempotency table,
 * no new effect), requests without a key, refusals, and requests per wall-clock second. With a state file the
 * keys (and their answers) survive a restart of the server.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";

export class CallCounters {
  requests = 0;
  duplicateKeys = 0;
  missingKey = 0;
  rejected = 0;
  private readonly answers = new Map<string, unknown>();
  private readonly perSecond = new Map<number, number>();

  constructor(private readonly stateFile?: string) {
    if (stateFile && existsSync(stateFile)) {
      for (const line of readFileSync(stateFile, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        const { key, answer } = JSON.parse(line) as { key: string; answer: unknown };
        this.answers.set(key, answer);
      }
    }
  }

  /** Counts one request; returns the earlier answer when its key was seen before. */
  request(key: string | undefined): { repeated: boolean; answer?: unknown } {
    this.requests++;
    const second = Math.floor(Date.now() / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
    if (key === undefined || key === "") {
      this.missingKey++;
      return { repeated: false };
    }
    if (this.answers.has(key)) {
      this.duplicateKeys++;
      return { repeated: true, answer: this.answers.get(key) };
    }
    return { repeated: false };
  }

  /** Records the side effect of `key` (its answer), once. */
  applied(key: string | undefined, answer: unknown): void {
    if (key === undefined || key === "" || this.answers.has(key)) return;
    this.answers.set(key, answer);
    if (this.stateFile) appendFileSync(this.stateFile, `${JSON.stringify({ key, answer })}\n`);
  }

  snapshot() {
    const seconds = [...this.perSecond.values()];
    return {
      requests: this.requests,
      effects: this.answers.size,
      duplicateKeys: this.duplicateKeys,
      missingKey: this.missingKey,
      rejected: this.rejected,
      maxPerSecond: seconds.length > 0 ? Math.max(...seconds) : 0,
      perSecond: Object.fromEntries([...this.perSecond].sort((a, b) => a[0] - b[0])),
      keys: [...this.answers.keys()],
    };
  }
}

/** Reads `--name value` from argv, else the environment variable, else the fallback. */
export function option(name: string, env: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? process.env[env] ?? fallback;
}
