/**
 * Moved to core/tracing.ts (tracing is shared by the executor and the runtime, so it lives below both). This
 * forwarder keeps the runtime and cli imports compiling until they point at core/; delete it then.
 */
export * from "../../core/tracing.ts";
