/** Every dependency earns its place: the README's dependency table names each package of package.json, and only those. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, Record<string, string>>;
const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");

describe("README dependency table", () => {
  it("gives every dependency of package.json a job, and lists no package the project does not have", () => {
    const section = readme.split("## Dependencies")[1]?.split("\n## ")[0] ?? "";
    const rows = section.split("\n").filter((line) => line.startsWith("| `"));
    const listed = new Set(
      rows.flatMap((row) => [...(row.split("|")[1] ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1])),
    );
    const declared = ["dependencies", "devDependencies", "optionalDependencies"].flatMap((k) =>
      Object.keys(pkg[k] ?? {}),
    );
    expect([...listed].sort()).toEqual([...declared].sort());
  });
});
