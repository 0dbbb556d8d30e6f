/**
 * Moved to analytics/migrate.ts (with the migrations and queries). This forwarder keeps work in progress that
 * still imports the old path compiling; delete it once nothing imports it.
 */
export * from "../../analytics/migrate.ts";
