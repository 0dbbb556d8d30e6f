/**
 * The DDL's tiny template language, so one file serves every server version: `{{#if feature}}…{{else}}…{{/if}}`
 * (not nested) and `{{Name}}` type aliases, rendered from the features detected on the server.
 */
import type { ClickHouseFeatures } from "../sinks/clickhouse-features.ts";

/** Type aliases the DDL uses, each gated on a feature. */
export function typeAliases(f: ClickHouseFeatures): Record<string, string> {
  return {
    LowString: f.lowCardinality ? "LowCardinality(String)" : "String",
    Time: f.dateTime64 ? "DateTime64(3, 'UTC')" : "DateTime('UTC')",
    FloatMap: f.map ? "Map(String, Float32)" : "String",
  };
}

/** Renders a template; an unknown feature or alias is an error, never silently empty. */
export function renderTemplate(text: string, features: ClickHouseFeatures): string {
  const flags = features as unknown as Record<string, boolean>;
  const aliases = typeAliases(features);
  const withIfs = text.replace(
    /\{\{#if (\w+)\}\}([\s\S]*?)(?:\{\{else\}\}([\s\S]*?))?\{\{\/if\}\}/g,
    (_, name: string, then: string, otherwise: string | undefined) => {
      if (!(name in flags)) throw new Error(`unknown feature in template: ${name}`);
      return flags[name] ? then : (otherwise ?? "");
    },
  );
  return withIfs.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const alias = aliases[name];
    if (alias === undefined) throw new Error(`unknown alias in template: {{${name}}}`);
    return alias;
  });
}

/** Splits a rendered file into statements at `;` line ends, dropping `--` comment lines. */
export function statements(sql: string): string[] {
  return sql
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join("\n")
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
