/**
 * Event-time windows for the DSL operators (`count`, `aggregate`, `reduce`), with Kafka Streams' semantics
 * (`kstream/TimeWindows.java`, `SessionWindows.java`): tumbling and hopping windows are `[start, start + size)`
 * aligned to the epoch; a session is extended by every record within `gapMs` of it and merges sessions a record
 * bridges. A window closes when stream time (the largest timestamp seen by the task) reaches its end plus the
 * grace period (plus the gap, for sessions); a record for a closed window is late.
 */
import { z } from "zod";

const ms = z.number().int().positive();

export const windowConfig = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("tumbling"),
    /** Window length in milliseconds. */
    sizeMs: ms,
  }),
  z.strictObject({
    type: z.literal("hopping"),
    /** Window length in milliseconds. */
    sizeMs: ms,
    /** Distance between window starts, in milliseconds (at most `sizeMs`). */
    advanceMs: ms,
  }),
  z.strictObject({
    type: z.literal("session"),
    /** Inactivity gap: records of one key less than this apart share a session. */
    gapMs: ms,
  }),
]);
export type WindowConfig = z.infer<typeof windowConfig>;

/** The options every windowed operator shares. */
export const windowedOptions = {
  /** Event-time window; without one the operator keeps one running result per key. @default no window */
  window: windowConfig.optional(),
  /** How long after a window's end records for it are still accepted (out-of-order data). @default 0 */
  graceMs: z.number().int().nonnegative().default(0),
  /** `update`: emit the new result on every record; `final`: emit once, when the window closes. @default "update" */
  emit: z.enum(["update", "final"]).default("update"),
  /** What happens to a record for a window that has closed: `drop` or `dead-letter`. Counted either way. @default "drop" */
  late: z.enum(["drop", "dead-letter"]).default("drop"),
  /** CEL expression whose result (as text) is the grouping key. @default the record key */
  groupBy: z.string().min(1).optional(),
  /** Name of the operator's state store. @default the node name */
  store: z.string().min(1).optional(),
};

/** Unwindowed results live in one window that never closes. */
export const FOREVER = { start: 0, end: Number.MAX_SAFE_INTEGER } as const;

/** The fixed windows `[start, end)` holding `timestamp`, oldest first. */
export function fixedWindows(
  window: WindowConfig | undefined,
  timestamp: number,
): Array<{ start: number; end: number }> {
  if (window === undefined) return [FOREVER];
  if (window.type === "session") throw new Error("session windows are assigned by merging, not by time");
  const advance = window.type === "hopping" ? window.advanceMs : window.sizeMs;
  const last = timestamp - (timestamp % advance);
  const out: Array<{ start: number; end: number }> = [];
  for (let start = last; start > timestamp - window.sizeMs && start >= 0; start -= advance) {
    out.unshift({ start, end: start + window.sizeMs });
  }
  return out;
}

/** How long after its `end` a window closes: grace, plus the gap for sessions. */
export function closeDelay(window: WindowConfig | undefined, graceMs: number): number {
  return window?.type === "session" ? window.gapMs + graceMs : graceMs;
}

/** Checks what zod cannot: a hop no longer than the window. */
export function windowProblem(window: WindowConfig | undefined): string | undefined {
  if (window?.type === "hopping" && window.advanceMs > window.sizeMs) {
    return `advanceMs (${window.advanceMs}) must not exceed sizeMs (${window.sizeMs})`;
  }
  return undefined;
}
