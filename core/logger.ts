/**
 * The one logger factory: pino on stderr, JSON when it is not a TTY, readable (pino-pretty) on a TTY, with secrets
 * redacted by key wherever they appear in a logged object.
 */
import { type Logger, pino } from "pino";

/** Keys whose values never reach a log line, at any depth pino's redaction reaches. */
export const SECRET_KEYS = ["password", "passphrase", "secret", "token", "apiKey", "ssl.key"];

const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export interface LoggerOptions {
  /** @default process.env.SLUICE_LOG_LEVEL ?? "info" */
  level?: string;
  /** Pretty output; @default stdout is a TTY */
  pretty?: boolean;
  /** Fields on every line (topology, run id, ...). */
  base?: Record<string, unknown>;
}

/** How many of a batch's failures a log line lists (the count is always given). */
const LOGGED_FAILURES = 20;

/**
 * pino's error serializer, plus the reasons of a `BatchError`: its `failures` is a Map (batch index → error),
 * which JSON prints as `{}`, so a line like "ClickHouse refused 2 rows" would lose ClickHouse's own message.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  const failures = (error as { failures?: unknown } | null)?.failures;
  if (!(failures instanceof Map) || typeof serialized !== "object" || serialized === null) return serialized;
  const listed = [...failures].slice(0, LOGGED_FAILURES);
  serialized.failures = Object.fromEntries(
    listed.map(([index, failure]) => [String(index), failure instanceof Error ? failure.message : String(failure)]),
  );
  serialized.failureCount = failures.size;
  return serialized;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  // Logs go to stderr: stdout carries a command's data (`--json` output) and stays parseable.
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const options_ = {
    level: options.level ?? process.env.SLUICE_LOG_LEVEL ?? "info",
    base: options.base ?? null,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers: { err: serializeError },
    ...(pretty
      ? {
          transport: {
            target: "pino-pretty",
            options: { colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname", destination: 2 },
          },
        }
      : {}),
  };
  return pretty ? pino(options_) : pino(options_, pino.destination(2));
}

/** A logger that writes nothing: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
