/**
 * A tool's admission limits: the per-tenant token bucket delays only its own tenant, the concurrency bounds hold
 * (per tool and per tenant), and a budget window refills.
 */
import { describe, expect, it } from "vitest";
import { ToolBudget } from "../../../processors/tools/budget.ts";
import { ToolLimits } from "../../../processors/tools/limits.ts";
import { toolSpec } from "../../../processors/tools/tool-spec.ts";

const spec = (extra: Record<string, unknown>) =>
  toolSpec.parse({ name: "t", transport: { type: "module", module: "./x.ts" }, ...extra });

describe("tool limits", () => {
  it("a tenant's rate limit delays that tenant only", async () => {
    const limits = new ToolLimits(spec({ rateLimit: { perTenant: { perSecond: 10, burst: 1 } } }));
    const started = performance.now();
    const finished: { a: number[]; b: number[] } = { a: [], b: [] };
    const call = (tenant: "a" | "b") =>
      limits.run(tenant, async () => {
        finished[tenant].push(performance.now() - started);
      });
    await Promise.all([call("a"), call("a"), call("a"), call("a"), call("a"), call("b")]);
    expect(finished.a).toHaveLength(5);
    expect(finished.a[4]).toBeGreaterThanOrEqual(380);
    expect(finished.b[0]).toBeLessThan(150);
  });

  it("holds the concurrency bounds per tool and per tenant", async () => {
    const limits = new ToolLimits(spec({ concurrency: { perTool: 3, perTenant: 2 } }));
    let inFlight = 0;
    let maxTool = 0;
    const perTenant = new Map<string, number>();
    let maxTenant = 0;
    const call = (tenant: string) =>
      limits.run(tenant, async () => {
        inFlight++;
        perTenant.set(tenant, (perTenant.get(tenant) ?? 0) + 1);
        maxTool = Math.max(maxTool, inFlight);
        maxTenant = Math.max(maxTenant, perTenant.get(tenant)!);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        perTenant.set(tenant, perTenant.get(tenant)! - 1);
      });
    await Promise.all([..."aaaaabbbbbccc"].map(call));
    expect(maxTool).toBe(3);
    expect(maxTenant).toBe(2);
  });

  it("a budget charges per call up to the tenant's limit, and a new window starts afresh", () => {
    let now = 0;
    const budget = new ToolBudget(spec({ cost: 2, budget: { perTenant: 5, windowMs: 1000 } }), () => now);
    expect([budget.tryCharge("a"), budget.tryCharge("a"), budget.tryCharge("a")]).toEqual([true, true, false]);
    expect(budget.tryCharge("b")).toBe(true);
    budget.refund("a");
    expect(budget.spent("a")).toBe(2);
    now = 1000;
    expect(budget.spent("a")).toBe(0);
    expect(budget.tryCharge("a")).toBe(true);
  });
});
