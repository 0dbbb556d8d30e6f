/**
 * Sorts what an INSERT can fail with: the server refusing the data (bisect, dead-letter the bad rows), the
 * server or the network being unavailable (retry, open the breaker), or a mistake retrying cannot fix.
 */
import { BrokenCircuitError } from "cockatiel";
import { SluiceError, TransientError } from "../core/errors.ts";

/**
 * Server codes meaning "this data cannot go into this table": CANNOT_PARSE_TEXT (6), CANNOT_PARSE_QUOTED_STRING
 * (26), CANNOT_PARSE_INPUT_ASSERTION_FAILED (27), CANNOT_PARSE_DATE (38), CANNOT_PARSE_DATETIME (41),
 * TYPE_MISMATCH (53), CANNOT_CONVERT_TYPE (70), CANNOT_PARSE_NUMBER (72), INCORRECT_DATA (117),
 * CANNOT_READ_ARRAY_FROM_TEXT (130), TOO_LARGE_STRING_SIZE (131), CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN (349),
 * CANNOT_PARSE_BOOL (467), plus the size/overflow family (69 ARGUMENT_OUT_OF_BOUND, 190 SIZES_OF_ARRAYS_DOESNT_MATCH).
 */
const BAD_DATA_CODES = new Set([6, 26, 27, 38, 41, 53, 69, 70, 72, 117, 130, 131, 190, 349, 467]);

/** Table or database gone, a column missing, a syntax error, bad credentials: stop, retrying cannot fix these. */
const FATAL_CODES = new Set([16, 47, 60, 62, 81, 192, 193, 497, 516]);

export type InsertFailure = "bad-data" | "transient" | "fatal";

function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const n = typeof code === "string" ? Number(code) : code;
  if (typeof n === "number" && Number.isInteger(n)) return n;
  // 18.16 words errors `Code: 27, e.displayText() = ...`, which @clickhouse/client does not parse into `code`.
  const match = /^Code: (\d+)[.,]/.exec(error instanceof Error ? error.message : "");
  return match ? Number(match[1]) : undefined;
}

export function classify(error: unknown): InsertFailure {
  if (error instanceof BrokenCircuitError || error instanceof TransientError) return "transient";
  const code = codeOf(error);
  if (code !== undefined && BAD_DATA_CODES.has(code)) return "bad-data";
  if (code !== undefined && FATAL_CODES.has(code)) return "fatal";
  // Network errors (ECONNREFUSED, ECONNRESET, socket hang up, timeouts) and every other server code
  // (TOO_MANY_PARTS, MEMORY_LIMIT_EXCEEDED, TIMEOUT_EXCEEDED, ...) may pass: retry.
  return "transient";
}

/** The error a `write()` caller receives for a failure that is not about its data. */
export function asSinkError(error: unknown, context: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const message = `${context}: ${error instanceof Error ? error.message : String(error)}`;
  return classify(error) === "fatal"
    ? new SluiceError(message, { cause: error })
    : new TransientError(message, { cause: error });
}
