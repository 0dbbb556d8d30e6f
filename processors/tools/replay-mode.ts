/**
 * How tools behave in a replay (a run whose id is not `live`): each tool's `replay:` mode from the topology, or
 * the one `sluice replay --tools <mode>` sets for every tool. `live` in a replay needs `--allow-side-effects`.
 * The live run always calls (journal first).
 */
import { ConfigError } from "../../core/errors.ts";
import type { ReplayMode, ToolSpec } from "./tool-spec.ts";

export interface ToolReplaySettings {
  /** Overrides every tool's `replay:` mode. @default each tool's own */
  mode?: ReplayMode;
  /** Lets `live` tools call in a replay. @default false */
  allowSideEffects?: boolean;
}

let settings: ToolReplaySettings = {};

/** Set once by `sluice replay` (and by tests) before the topology starts. */
export function configureToolReplay(next: ToolReplaySettings): void {
  settings = { ...next };
}

/** The mode a replay runs `spec` in; throws when it is `live` without `--allow-side-effects`. */
export function replayModeOf(spec: ToolSpec): ReplayMode {
  const mode = settings.mode ?? spec.replay;
  if (mode === "live" && settings.allowSideEffects !== true) {
    throw new ConfigError(
      `tool ${spec.name} would make live calls in a replay: pass --allow-side-effects to allow it, or use --tools journal`,
    );
  }
  return mode;
}
