#!/usr/bin/env node
// The `sluice` executable: runs the TypeScript sources through tsx (no build step, so `npm ci` is all a user
// needs and stack traces point at the .ts files), then hands over to cli/main.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv);
