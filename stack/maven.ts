/**
 * Resolving the stack's Java artifacts from Maven Central with the machine's `mvn` (the only place they can
 * come from here), into `.stack/cache/`, once: a `.complete` marker makes later calls free.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function mvn(args: string[], cwd?: string): void {
  try {
    execFileSync("mvn", ["-q", "-B", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (error) {
    const out = error as { stdout?: Buffer; stderr?: Buffer; code?: string };
    if (out.code === "ENOENT") throw new Error("mvn is not installed: install Maven (apt-get install -y maven)");
    const text = `${out.stdout?.toString() ?? ""}${out.stderr?.toString() ?? ""}`.trim().split("\n").slice(-20);
    throw new Error(`mvn ${args.join(" ")} failed:\n${text.join("\n")}`);
  }
}

/** Copies a pom's dependencies (with transitive ones) into `outDir`. */
export function copyDependencies(pomDir: string, outDir: string, properties: Record<string, string> = {}): string {
  const marker = join(outDir, ".complete");
  if (existsSync(marker)) return outDir;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const props = Object.entries(properties).map(([k, v]) => `-D${k}=${v}`);
  mvn(["dependency:copy-dependencies", `-DoutputDirectory=${outDir}`, ...props], pomDir);
  writeFileSync(marker, new Date().toISOString());
  return outDir;
}

/** Copies one artifact (`group:artifact:version:type[:classifier]`) into `outDir`; returns the file path. */
export function copyArtifact(coordinates: string, outDir: string, fileName: string): string {
  const file = join(outDir, fileName);
  if (existsSync(file)) return file;
  mkdirSync(outDir, { recursive: true });
  mvn(["dependency:copy", `-Dartifact=${coordinates}`, `-DoutputDirectory=${outDir}`]);
  if (!existsSync(file)) throw new Error(`mvn dependency:copy ${coordinates} did not produce ${file}`);
  return file;
}
