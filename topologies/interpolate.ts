/**
 * `${VAR}` and `${VAR:-default}` in topology text values, from the environment. `$${` writes a literal `${`.
 * An unset variable without a default is an error naming it; the loader adds its line and column.
 */

/** One unset variable; `offset` is where its `${` starts in the text. */
export interface InterpolationProblem {
  variable: string;
  offset: number;
}

export interface Interpolated {
  text: string;
  /** True when some `${…}` was replaced (the loader then re-types a plain scalar: `${PORT}` → number). */
  changed: boolean;
  problems: InterpolationProblem[];
}

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces every reference in `text` with its value from `env`. */
export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): Interpolated {
  const problems: InterpolationProblem[] = [];
  let changed = false;
  const out = text.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined, offset: number) => {
    changed = true;
    if (match === "$${") return "${";
    const value = env[name!];
    if (value !== undefined && value !== "") return value;
    if (fallback !== undefined) return fallback;
    if (value !== undefined) return value;
    problems.push({ variable: name!, offset });
    return match;
  });
  return { text: out, changed, problems };
}
