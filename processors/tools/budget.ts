/**
 * Per-tenant cost budgets of a tool, per fixed window of wall-clock time (per process): a call is admitted when
 * its cost still fits the tenant's budget for the current window, and charged when admitted. A call answered
 * from the journal costs nothing.
 */
import type { ToolSpec } from "./tool-spec.ts";

interface Window {
  start: number;
  spent: number;
}

export class ToolBudget {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly spec: ToolSpec,
    private readonly now: () => number = Date.now,
  ) {}

  /** What the tenant has spent in the current window. */
  spent(tenant: string): number {
    return this.window(tenant)?.spent ?? 0;
  }

  private window(tenant: string): Window | undefined {
    const budget = this.spec.budget;
    if (budget === undefined) return undefined;
    const start = Math.floor(this.now() / budget.windowMs) * budget.windowMs;
    let window = this.windows.get(tenant);
    if (window === undefined || window.start !== start) {
      window = { start, spent: 0 };
      this.windows.set(tenant, window);
    }
    return window;
  }

  /** Charges one call to `tenant`; false (nothing charged) when the budget cannot pay for it. */
  tryCharge(tenant: string): boolean {
    const window = this.window(tenant);
    if (window === undefined || this.spec.budget === undefined) return true;
    if (window.spent + this.spec.cost > this.spec.budget.perTenant + 1e-9) return false;
    window.spent += this.spec.cost;
    return true;
  }

  /** Gives back a charge for a call that was never made (it failed before reaching the tool, or is retried). */
  refund(tenant: string): void {
    const window = this.window(tenant);
    if (window !== undefined) window.spent = Math.max(0, window.spent - this.spec.cost);
  }
}
