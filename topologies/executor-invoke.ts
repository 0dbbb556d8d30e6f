/**
 * How the executor calls one processor on its inbox: record by record (`process`) or in micro-batches
 * (`processBatch`), turning poison errors into dead letters (a `BatchError` fails only the records it names)
 * and letting retriable errors through untouched.
 */
import { BatchError, isRetriable } from "../core/errors.ts";
import type { Processor, StreamRecord } from "../processors/api.ts";

/**
 * A decoded record a node rejected as bad data, with why: what the executor and the test driver collect (the
 * runtime turns it into a `DeadLetterMessage` carrying the consumed bytes).
 */
export interface RejectedRecord {
  /** The record as it reached the failing processor (its `source` is the input's lineage). */
  record: StreamRecord;
  /** Name of the node that rejected it. */
  processor: string;
  /** The error message. */
  reason: string;
  /** The error's class name, e.g. `PoisonRecordError`. */
  errorClass: string;
  error: Error;
  /** Numbers this dead letter among the outputs of its input. */
  outputIndex: number;
}

/** The rejection of `record` by `processor` with `error` (a non-Error is wrapped). */
export function rejectedRecord(
  record: StreamRecord,
  processor: string,
  error: unknown,
  outputIndex: number,
): RejectedRecord {
  const err = error instanceof Error ? error : new Error(String(error));
  return { record, processor, reason: err.message, errorClass: err.name, error: err, outputIndex };
}

interface Item {
  record: StreamRecord;
  input: number;
}

export interface InvokeHooks {
  /** Before an invocation; `single` is set when exactly one item is processed through `process`. */
  begin(single: Item | undefined): void;
  /** After an invocation: commit the staged forwards except those descending from `failedInputs`. */
  end(failedInputs: ReadonlySet<number>): void;
  deadLetter(item: Item, error: unknown): void;
}

function rethrowIfRetriable(error: unknown): void {
  if (isRetriable(error)) throw error;
}

async function processOne(processor: Processor, item: Item, hooks: InvokeHooks): Promise<void> {
  hooks.begin(item);
  try {
    await processor.process!(item.record);
    hooks.end(new Set());
  } catch (error) {
    hooks.end(new Set([item.input]));
    rethrowIfRetriable(error);
    hooks.deadLetter(item, error);
  }
}

async function processChunk(processor: Processor, chunk: Item[], hooks: InvokeHooks): Promise<void> {
  hooks.begin(chunk.length === 1 ? chunk[0] : undefined);
  try {
    await processor.processBatch!(chunk.map((item) => item.record));
    hooks.end(new Set());
    return;
  } catch (error) {
    if (error instanceof BatchError && error.failures.size > 0) {
      for (const failure of error.failures.values()) rethrowIfRetriable(failure);
      const failed = [...error.failures.keys()].filter((i) => chunk[i] !== undefined);
      hooks.end(new Set(failed.map((i) => chunk[i]!.input)));
      for (const i of failed) hooks.deadLetter(chunk[i]!, error.failures.get(i));
      return;
    }
    hooks.end(new Set(chunk.map((item) => item.input)));
    rethrowIfRetriable(error);
    if (chunk.length === 1) {
      hooks.deadLetter(chunk[0]!, error);
      return;
    }
  }
  // The batch failed as a whole on bad data: find the culprits one record at a time.
  for (const item of chunk) await processChunk(processor, [item], hooks);
}

/** Runs `processor` over `items` (already in input order). */
export async function runProcessor(processor: Processor, items: Item[], batchSize: number, hooks: InvokeHooks) {
  if (processor.processBatch) {
    for (let i = 0; i < items.length; i += batchSize) {
      await processChunk(processor, items.slice(i, i + batchSize), hooks);
    }
    return;
  }
  if (!processor.process) throw new Error("a processor needs process or processBatch");
  for (const item of items) await processOne(processor, item, hooks);
}
