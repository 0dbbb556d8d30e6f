/**
 * Moved to stack/config.ts (defaults now resolve against the working directory) and ops/repo-root.ts. This
 * forwarder keeps work in progress that still imports the old path compiling; delete it once nothing imports it.
 */
export * from "../../stack/config.ts";
export { REPO_ROOT } from "../repo-root.ts";
