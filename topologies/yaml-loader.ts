/**
 * Loads a topology from YAML keeping positions (`yaml` parseDocument + LineCounter), interpolates `${VAR}`,
 * validates against the spec and reports every problem at once as `file:line:column spec.path: expected …`.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  type Alias,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  parse as parseYaml,
  Scalar,
  visit,
} from "yaml";
import { ConfigError, type ConfigIssue } from "../core/errors.ts";
import { interpolate } from "./interpolate.ts";
import type { TopologySpec } from "./spec.ts";
import { excerpt, formatPath, validateSpec } from "./spec-issues.ts";

/** How often aliases may be expanded in all (yaml's own guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;

/** Maps a spec path (and optionally an offset inside a text value) to its 1-based line and column. */
export type Locator = (
  path: ReadonlyArray<string | number>,
  options?: { atKey?: boolean; offset?: number },
) => { line: number; column: number } | undefined;

/** A topology file parsed and validated, with what maps spec paths back to lines and columns. */
export interface LoadedTopology {
  spec: TopologySpec;
  /** The file as named by the caller (used in messages). */
  file: string;
  /** Folder relative paths in the spec resolve against. */
  baseDir: string;
  locate: Locator;
}

/** How a topology text is loaded: its name in messages, the folder paths resolve against, the variables. */
export interface LoadOptions {
  /** Name used in messages. @default "<inline>" */
  file?: string;
  /** @default the file's folder, or process.cwd() for inline text */
  baseDir?: string;
  /** Variables for `${VAR}`. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

function findNode(root: unknown, path: ReadonlyArray<string | number>, atKey: boolean): Node | undefined {
  let node = root as Node | undefined;
  for (const [i, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) return node;
      if (atKey && i === path.length - 1) return pair.key as Node;
      node = (pair.value ?? pair.key) as Node;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (item === undefined) return node;
      node = item;
    } else {
      return node;
    }
  }
  return node;
}

/** File offset of character `offset` of a scalar's value (quotes and block headers skipped). */
function scalarOffset(text: string, node: Node, offset: number): number {
  const start = node.range?.[0] ?? 0;
  const type = isScalar(node) ? node.type : undefined;
  if (type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE) return start + 1 + offset;
  if (type !== Scalar.BLOCK_LITERAL && type !== Scalar.BLOCK_FOLDED) return start + offset;
  let lineStart = text.indexOf("\n", start) + 1;
  let remaining = offset;
  let indent: number | undefined;
  while (lineStart > 0 && lineStart < text.length) {
    const lineEnd = text.indexOf("\n", lineStart) === -1 ? text.length : text.indexOf("\n", lineStart);
    const line = text.slice(lineStart, lineEnd);
    indent ??= line.length - line.trimStart().length;
    const content = line.length - Math.min(indent, line.length);
    if (remaining <= content) return lineStart + indent + remaining;
    remaining -= content + 1;
    lineStart = lineEnd + 1;
  }
  return start;
}

function retype(value: string): unknown {
  if (value.trim() === "") return value;
  try {
    const parsed: unknown = parseYaml(value);
    return typeof parsed === "number" || typeof parsed === "boolean" || parsed === null ? parsed : value;
  } catch {
    return value;
  }
}

/** Parses and validates YAML text. Throws `ConfigError` with every issue. */
export function parseTopology(text: string, options: LoadOptions = {}): LoadedTopology {
  const file = options.file ?? "<inline>";
  const baseDir = options.baseDir ?? (options.file ? dirname(resolve(options.file)) : process.cwd());
  const env = options.env ?? process.env;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const issues: ConfigIssue[] = [];
  for (const error of doc.errors) {
    const message = (error.message.split("\n")[0] ?? "").slice(0, 200);
    issues.push({ file, ...at(error.pos[0]), message: `invalid YAML: ${message}` });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  // Only files that use aliases pay for checking them.
  if (text.includes("*")) issues.push(...aliasIssues(doc).map((i) => ({ file, ...at(i.offset), message: i.message })));
  if (issues.length > 0) throw new ConfigError(issues);

  // Only files that interpolate pay for a visit of every scalar.
  if (text.includes("${"))
    visit(doc, {
      Scalar(key, node, ancestors) {
        if (key === "key" || typeof node.value !== "string" || !node.value.includes("${")) return;
        const result = interpolate(node.value, env, { baseDir });
        for (const problem of result.problems) {
          const path = pathOf(ancestors, node);
          issues.push({
            file,
            ...at(scalarOffset(text, node, problem.offset)),
            path: formatPath(path),
            message:
              problem.message ??
              `environment variable ${problem.variable} is not set and has no default (write \${${problem.variable}:-default})`,
          });
        }
        node.value = node.type === Scalar.PLAIN && result.changed ? retype(result.text) : result.text;
      },
    });
  const locate: Locator = (path, opts = {}) => {
    const node = findNode(doc.contents, path, opts.atKey === true);
    if (!node?.range) return undefined;
    return at(opts.offset === undefined ? node.range[0] : scalarOffset(text, node, opts.offset));
  };
  const result = validateSpec(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {});
  if (!result.ok) {
    for (const issue of result.issues) {
      issues.push({
        file,
        ...locate(issue.path, { atKey: issue.atKey === true }),
        path: formatPath(issue.path),
        message: issue.message,
      });
    }
  }
  if (issues.length > 0 || !result.ok) throw new ConfigError(sortIssues(issues));
  return { spec: result.spec, file, baseDir, locate };
}

/**
 * Undefined aliases, and alias bombs (aliases expanding to more than `MAX_ALIAS_COUNT` copies), each at the
 * alias's own position; `doc.toJS` would throw for both without saying where.
 */
function aliasIssues(doc: Document): Array<{ offset: number; message: string }> {
  const aliases: Alias[] = [];
  visit(doc, {
    Alias(_, node) {
      aliases.push(node);
    },
  });
  const problems: Array<{ offset: number; message: string }> = [];
  for (const alias of aliases) {
    if (alias.resolve(doc) === undefined)
      problems.push({
        offset: alias.range?.[0] ?? 0,
        message: `undefined YAML alias *${aliasName(alias)}: no anchor &${aliasName(alias)} before it`,
      });
  }
  if (problems.length > 0 || aliases.length === 0) return problems;
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return [];
  } catch (error) {
    // yaml refuses an alias bomb as a whole: name the alias that expands the most, where it is.
    const size = expansionSizes(doc);
    let worst = aliases[0]!;
    for (const alias of aliases) if (size(alias) > size(worst)) worst = alias;
    const name = aliasName(worst);
    return [
      {
        offset: worst.range?.[0] ?? 0,
        message: `YAML aliases expand too often (${(error as Error).message.slice(0, 100)}): *${name} alone expands to ${size(worst)} nodes; refused as an alias bomb`,
      },
    ];
  }
}

/** An alias's name as written, or an escaped excerpt when it is long or odd. */
function aliasName(alias: Alias): string {
  return alias.source.length <= 60 && /^[\x21-\x7e]+$/.test(alias.source) ? alias.source : excerpt(alias.source);
}

/** Number of nodes a node stands for once every alias in it is expanded, memoized so it stays linear. */
function expansionSizes(doc: Document): (node: unknown) => number {
  const memo = new Map<unknown, number>();
  const size = (node: unknown): number => {
    const known = memo.get(node);
    if (known !== undefined) return known;
    memo.set(node, 1); // a cycle counts once
    let n = 1;
    if (isAlias(node)) n = size(node.resolve(doc));
    else if (isCollection(node))
      for (const item of node.items) n += isPair(item) ? size(item.key) + size(item.value) : size(item);
    memo.set(node, n);
    return n;
  };
  return size;
}

function pathOf(ancestors: readonly unknown[], node: unknown): Array<string | number> {
  const path: Array<string | number> = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isSeq(parent)) path.push(parent.items.indexOf(child as never));
    if (isPair(parent) && isScalar(parent.key)) path.push(String(parent.key.value));
  }
  return path;
}

/** Orders issues by line, then column, so the output reads top to bottom. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** Reads, parses and validates a topology file. */
export function loadTopologyFile(file: string, options: Omit<LoadOptions, "file"> = {}): LoadedTopology {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError([{ file, message: `cannot read topology file: ${(error as Error).message}` }], {
      cause: error,
    });
  }
  return parseTopology(text, { ...options, file });
}
