/**
 * `${VAR}` and `${VAR:-default}` in topology text values, from the environment; `${file:path}` from a file
 * (secrets mounted as files: a password, a CA). `$${` writes a literal `${`. An unset variable without a default,
 * or an unreadable file, is an error naming it; the loader adds its line and column.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** One unset variable or unreadable file; `offset` is where its `${` starts in the text. */
export interface InterpolationProblem {
  variable: string;
  offset: number;
  /** Set for `${file:…}` problems (the loader words unset variables itself). */
  message?: string;
}

export interface Interpolated {
  text: string;
  /** True when some `${…}` was replaced (the loader then re-types a plain scalar: `${PORT}` → number). */
  changed: boolean;
  problems: InterpolationProblem[];
}

export interface InterpolateOptions {
  /** Folder a relative `${file:path}` resolves against. @default process.cwd() */
  baseDir?: string;
}

const PATTERN = /\$\$\{|\$\{file:([^}]+)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * A file's content without its trailing line breaks (`echo secret > file` adds one). The message of a failure
 * names the path and the system's reason, never any content.
 */
function readSecretFile(path: string, baseDir: string): { value: string } | { error: string } {
  const full = resolve(baseDir, path.trim());
  try {
    return { value: readFileSync(full, "utf8").replace(/(\r?\n)+$/, "") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    return { error: `cannot read file ${full} (${code}) named by \${file:${path}}` };
  }
}

/** Replaces every reference in `text` with its value from `env` or its file. */
export function interpolate(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  options: InterpolateOptions = {},
): Interpolated {
  const problems: InterpolationProblem[] = [];
  let changed = false;
  const out = text.replace(
    PATTERN,
    (match, file: string | undefined, name: string | undefined, fallback: string | undefined, offset: number) => {
      changed = true;
      if (match === "$${") return "${";
      if (file !== undefined) {
        const read = readSecretFile(file, options.baseDir ?? process.cwd());
        if ("value" in read) return read.value;
        problems.push({ variable: `file:${file}`, offset, message: read.error });
        return match;
      }
      const value = env[name!];
      if (value !== undefined && value !== "") return value;
      if (fallback !== undefined) return fallback;
      if (value !== undefined) return value;
      problems.push({ variable: name!, offset });
      return match;
    },
  );
  return { text: out, changed, problems };
}
