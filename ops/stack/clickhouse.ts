/**
 * Moved to stack/clickhouse.ts (the local stack is product code: `sluice stack` runs it). This forwarder keeps work in
 * progress that still imports the old path compiling; delete it once nothing imports it.
 */
export * from "../../stack/clickhouse.ts";
