/**
 * OpenTelemetry tracing through `@opentelemetry/api` only: with no SDK registered every call is a no-op (the cost
 * is measured in ops/bench/tracing-overhead.ts). An SDK is started only when the standard `OTEL_*` variables ask
 * for one and `@opentelemetry/sdk-node` is installed. W3C `traceparent` headers are continued from input records
 * to their outputs, so one event can be followed from the producing system through sluice to the output topic.
 */
import { randomBytes } from "node:crypto";
import { context, ROOT_CONTEXT, type Span, type SpanContext, SpanKind, TraceFlags, trace } from "@opentelemetry/api";
import type { Logger } from "pino";

export const tracer = trace.getTracer("sluice");
/** `SLUICE_TRACING=off` removes every tracing call (to measure their cost). @default on */
export const TRACING = process.env.SLUICE_TRACING !== "off";
export const TRACEPARENT = "traceparent";

const PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(value: string | Buffer | undefined): SpanContext | undefined {
  if (value === undefined) return undefined;
  const match = PATTERN.exec(value.toString().trim());
  if (!match || /^0+$/.test(match[1] as string) || /^0+$/.test(match[2] as string)) return undefined;
  return {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16),
    isRemote: true,
  };
}

export function formatTraceparent(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/**
 * The traceparent an output carries: the span sluice recorded for its input when an SDK records spans, else
 * the same trace with a fresh span id (sluice's hop), so the trace continues either way.
 */
export function continueTrace(input: string | Buffer | undefined, applicationId: string): string | undefined {
  const parent = parseTraceparent(input);
  if (!parent) return undefined;
  const span: Span = tracer.startSpan(
    `${applicationId} process`,
    { kind: SpanKind.CONSUMER, attributes: { "messaging.system": "kafka", "sluice.topology": applicationId } },
    trace.setSpanContext(ROOT_CONTEXT, parent),
  );
  const own = span.spanContext();
  span.end();
  if (span.isRecording() || own.spanId !== parent.spanId) return formatTraceparent(own);
  return formatTraceparent({
    ...parent,
    spanId: randomBytes(8).toString("hex"),
    traceFlags: parent.traceFlags ?? TraceFlags.NONE,
  });
}

/** Runs `work` inside a span named `name` (a processor's micro-batch, a sink write). */
export async function inSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  work: () => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, { attributes });
  try {
    return await context.with(trace.setSpan(context.active(), span), work);
  } finally {
    span.end();
  }
}

/** Starts the OpenTelemetry Node SDK when OTEL_* variables ask for it and the package is installed. */
export async function startTracingSdk(logger: Logger): Promise<void> {
  const wanted = process.env.OTEL_TRACES_EXPORTER ?? (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? "otlp" : undefined);
  if (!wanted || wanted === "none") return;
  try {
    const name = "@opentelemetry/sdk-node";
    const { NodeSDK } = (await import(name)) as { NodeSDK: new () => { start(): void } };
    new NodeSDK().start();
    logger.info({ exporter: wanted }, "OpenTelemetry SDK started");
  } catch (error) {
    logger.warn(
      { error: (error as Error).message },
      "OTEL_* is set but @opentelemetry/sdk-node is not installed: tracing stays off",
    );
  }
}
