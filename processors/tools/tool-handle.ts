/**
 * One declared tool, ready to call: its transport behind a timeout, retry with exponential backoff and jitter,
 * and a circuit breaker (cockatiel, as the sinks use), its admission limits and budget, and ajv validators of its
 * input and output schemas (declared, else listed by its MCP server). Shared by every task of a process.
 */
import { Ajv, type ValidateFunction } from "ajv";
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from "cockatiel";
import { ConfigError, PoisonRecordError, TransientError } from "../../core/errors.ts";
import { metrics } from "../../core/metrics.ts";
import { ToolBudget } from "./budget.ts";
import { ToolLimits } from "./limits.ts";
import type { ToolSpec } from "./tool-spec.ts";
import { ToolRejectedError, type ToolTransport, unavailable } from "./transport.ts";

const ajv = new Ajv({ allErrors: true, strict: false });

/** Compiles a JSON Schema, or says why it is not one. */
export function compileJsonSchema(schema: Record<string, unknown>, what: string): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new ConfigError([{ path: what, message: `not a valid JSON Schema: ${(error as Error).message}` }]);
  }
}

function problems(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`).join("; ");
}

/** What a call came to: the tool's answer, or its refusal (HTTP 4xx, MCP tool error, output schema failed). */
export type CallOutcome = { status: "ok"; result: unknown } | { status: "rejected"; reason: string };

export class ToolHandle {
  readonly limits: ToolLimits;
  readonly budget: ToolBudget;
  readonly breaker: CircuitBreakerPolicy;
  private readonly policy: IPolicy;
  private validateInput: ValidateFunction | undefined;
  private validateOutput: ValidateFunction | undefined;
  private opened: Promise<void> | undefined;
  /** Why the last failed attempt failed: named when the circuit is open. */
  private lastFailure: string | undefined;
  description: string;

  constructor(
    readonly spec: ToolSpec,
    private readonly transport: ToolTransport,
    private readonly topology: string,
  ) {
    this.description = spec.description;
    this.limits = new ToolLimits(spec);
    this.budget = new ToolBudget(spec);
    const transient = handleWhen((e) => !(e instanceof ToolRejectedError) && !(e instanceof BrokenCircuitError));
    this.breaker = circuitBreaker(transient, {
      halfOpenAfter: spec.circuitBreaker.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(spec.circuitBreaker.consecutiveFailures),
    });
    const retrying = retry(transient, {
      maxAttempts: spec.retry.attempts - 1,
      backoff: new ExponentialBackoff({ initialDelay: spec.retry.initialDelayMs, maxDelay: spec.retry.maxDelayMs }),
    });
    this.policy = wrap(retrying, this.breaker, timeout(spec.timeoutMs, TimeoutStrategy.Aggressive));
    const gauge = { topology, tool: spec.name };
    this.breaker.onStateChange((state) => {
      metrics.toolCircuitOpen.set(gauge, state === CircuitState.Open || state === CircuitState.Isolated ? 1 : 0);
    });
    metrics.toolCircuitOpen.set(gauge, 0);
  }

  /** Opens the transport once (MCP: connect and list; module: import) and compiles the schemas. */
  open(): Promise<void> {
    this.opened ??= this.transport.open().then((listed) => {
      const input = this.spec.input ?? listed.input;
      const output = this.spec.output ?? listed.output;
      if (input) this.validateInput = compileJsonSchema(input, `tools.${this.spec.name}.input`);
      if (output) this.validateOutput = compileJsonSchema(output, `tools.${this.spec.name}.output`);
      if (this.description === "" && listed.description) this.description = listed.description;
    });
    this.opened.catch(() => {
      this.opened = undefined;
    });
    return this.opened;
  }

  /** True while the circuit is open: calls fail fast. */
  get circuitOpen(): boolean {
    return this.breaker.state === CircuitState.Open || this.breaker.state === CircuitState.Isolated;
  }

  /** Checks the arguments against the input schema; a failure is poison. */
  checkInput(args: Record<string, unknown>): void {
    if (this.validateInput && !this.validateInput(args)) {
      throw new PoisonRecordError(
        `tool ${this.spec.name}: arguments fail the input schema: ${problems(this.validateInput)}`,
      );
    }
  }

  /**
   * Calls the tool (limits, then retries inside the breaker, each attempt under the timeout) and checks the result
   * against the output schema. Throws `ToolRejectedError` / `PoisonRecordError` (poison) or `TransientError`.
   * `settle`, when given, runs with the outcome (an answer, or the tool's refusal) while the call still holds its
   * concurrency slot: the journal persists it there, so calls answered but not yet journaled never outnumber
   * the tool's concurrency (what a crash can make the server see again).
   */
  async call(
    args: Record<string, unknown>,
    idempotencyKey: string,
    tenant: string,
    settle?: (outcome: CallOutcome) => Promise<void>,
  ): Promise<unknown> {
    await this.open().catch((error) => {
      throw error instanceof ConfigError ? error : unavailable(this.spec.name, error);
    });
    this.checkInput(args);
    const labels = { topology: this.topology, tool: this.spec.name };
    const started = performance.now();
    const attempt = async () => {
      let result: unknown;
      try {
        result = await this.policy.execute(({ signal }) =>
          this.transport.call({ args, idempotencyKey, signal }).catch((error: unknown) => {
            if (!(error instanceof ToolRejectedError)) this.lastFailure = (error as Error).message ?? String(error);
            throw error;
          }),
        );
      } catch (error) {
        if (error instanceof ToolRejectedError) await settle?.({ status: "rejected", reason: error.message });
        throw error;
      }
      if (this.validateOutput && !this.validateOutput(result)) {
        const invalid = new PoisonRecordError(
          `tool ${this.spec.name}: result fails the output schema: ${problems(this.validateOutput)}`,
        );
        await settle?.({ status: "rejected", reason: invalid.message });
        throw invalid;
      }
      await settle?.({ status: "ok", result });
      return result;
    };
    try {
      const result = await this.limits.run(tenant, attempt);
      metrics.toolCalls.inc({ ...labels, status: "ok" });
      return result;
    } catch (error) {
      if (error instanceof PoisonRecordError) {
        metrics.toolCalls.inc({ ...labels, status: "rejected" });
        throw error;
      }
      metrics.toolCalls.inc({ ...labels, status: "unavailable" });
      if (error instanceof BrokenCircuitError) {
        const last = this.lastFailure ? ` (last: ${this.lastFailure})` : "";
        throw new TransientError(`tool ${this.spec.name}: circuit open after repeated failures${last}`, {
          cause: error,
        });
      }
      throw unavailable(this.spec.name, error);
    } finally {
      metrics.toolCallLatency.observe(labels, (performance.now() - started) / 1000);
    }
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
