/**
 * A tool's admission limits, per process: a concurrency bound (cockatiel bulkheads, per tool and per tenant) and
 * token-bucket rate limits (per tool and per tenant). A call waits for a slot and a token; it is never dropped.
 */
import { type BulkheadPolicy, bulkhead } from "cockatiel";
import type { ToolSpec } from "./tool-spec.ts";

/** A token bucket: `perSecond` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private updated: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updated = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.updated) / 1000) * this.perSecond);
    this.updated = t;
  }

  /** Resolves when a token was taken; callers are served in arrival order. */
  take(): Promise<void> {
    const turn = this.tail.then(async () => {
      this.refill();
      while (this.tokens < 1) {
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000)));
        this.refill();
      }
      this.tokens -= 1;
    });
    this.tail = turn;
    return turn;
  }
}

type Rate = NonNullable<NonNullable<ToolSpec["rateLimit"]>["perTool"]>;
const bucketOf = (rate: Rate) => new TokenBucket(rate.perSecond, rate.burst ?? Math.max(1, Math.floor(rate.perSecond)));

/** Everything that gates calls to one tool. */
export class ToolLimits {
  private readonly toolSlots: BulkheadPolicy;
  private readonly tenantSlots = new Map<string, BulkheadPolicy>();
  private readonly toolBucket: TokenBucket | undefined;
  private readonly tenantBuckets = new Map<string, TokenBucket>();

  constructor(private readonly spec: ToolSpec) {
    this.toolSlots = bulkhead(spec.concurrency.perTool, Number.POSITIVE_INFINITY);
    this.toolBucket = spec.rateLimit?.perTool ? bucketOf(spec.rateLimit.perTool) : undefined;
  }

  private tenantSlot(tenant: string): BulkheadPolicy | undefined {
    const limit = this.spec.concurrency.perTenant;
    if (limit === undefined) return undefined;
    let slot = this.tenantSlots.get(tenant);
    if (slot === undefined) {
      slot = bulkhead(limit, Number.POSITIVE_INFINITY);
      this.tenantSlots.set(tenant, slot);
    }
    return slot;
  }

  private tenantBucket(tenant: string): TokenBucket | undefined {
    const rate = this.spec.rateLimit?.perTenant;
    if (rate === undefined) return undefined;
    let bucket = this.tenantBuckets.get(tenant);
    if (bucket === undefined) {
      bucket = bucketOf(rate);
      this.tenantBuckets.set(tenant, bucket);
    }
    return bucket;
  }

  /** Runs `work` once the tenant and the tool each have a free slot and a token. */
  async run<T>(tenant: string, work: () => Promise<T>): Promise<T> {
    const inTool = () =>
      this.toolSlots.execute(async () => {
        await this.tenantBucket(tenant)?.take();
        await this.toolBucket?.take();
        return work();
      });
    const slot = this.tenantSlot(tenant);
    return slot ? slot.execute(inTool) : inTool();
  }
}
