/**
 * Retrying a step that fails transiently (a sink write, a decode against an unreachable registry, a processor
 * whose store is down): exponential backoff with jitter through cockatiel, without end — a record is never
 * skipped — while the caller marks its partition paused; cancelled when the task closes.
 */
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { isRetriable } from "../../core/errors.ts";

export interface DeliveryHooks {
  /** Called on each failed attempt with the error: the task pauses and reports why. */
  onFailure(error: unknown, attempt: number): void;
  /** Called once the step succeeds after failures: the task resumes. */
  onRecovered(): void;
}

export interface BackoffOptions {
  /** @default 100 */
  initialDelayMs?: number;
  /** @default 5000 */
  maxDelayMs?: number;
}

/** Thrown when a task closed while its step was still being retried: the work is abandoned, never acknowledged. */
export class DeliveryAbandoned extends Error {}

export async function untilDelivered<T>(
  step: () => Promise<T>,
  hooks: DeliveryHooks,
  signal: AbortSignal,
  options: BackoffOptions = {},
): Promise<T> {
  const policy = retry(
    handleWhen((error) => isRetriable(error) && !signal.aborted),
    {
      maxAttempts: Number.POSITIVE_INFINITY,
      backoff: new ExponentialBackoff({
        initialDelay: options.initialDelayMs ?? 100,
        maxDelay: options.maxDelayMs ?? 5000,
      }),
    },
  );
  let failures = 0;
  const listener = policy.onRetry((event) => {
    failures++;
    hooks.onFailure("error" in event ? event.error : undefined, event.attempt);
  });
  try {
    const result = await policy.execute(() => step(), signal);
    if (failures > 0) hooks.onRecovered();
    return result;
  } catch (error) {
    if (signal.aborted) throw new DeliveryAbandoned("task closed while retrying");
    throw error;
  } finally {
    listener.dispose();
  }
}
