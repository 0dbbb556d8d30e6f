/**
 * The checkout's root, for the scripts under ops/ and the tests: they work on this repository's files. Product
 * code never uses it (an installed `sluice` resolves paths against the working directory).
 */
import { resolve } from "node:path";

/** Absolute path of the repository root. */
export const REPO_ROOT = resolve(import.meta.dirname, "..");
