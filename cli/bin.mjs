#!/usr/bin/env node
// The `sluice` executable: runs the TypeScript sources through tsx (no build step, so `npm ci` is all a user
// needs and stack traces point at the .ts files), then hands over to cli/main.ts.
import { register } from "tsx/esm/api";

// `sluice run` stopped while its modules still load (a pod stopped as it starts; seconds on a loaded machine):
// nothing was consumed, so it exits 0 instead of dying by the signal. runTopology takes over the signals later.
if (process.argv[2] === "run") {
  const stopWhileLoading = () => process.exit(0);
  globalThis.sluiceStopWhileLoading = stopWhileLoading;
  process.once("SIGTERM", stopWhileLoading);
  process.once("SIGINT", stopWhileLoading);
}

// A reader that stops early (`sluice … | head`) closes the pipe: that is the reader's choice, not a failure of
// this command, so every command ends quietly with exit 0 instead of an unhandled EPIPE and a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv);
