/** Builds a TopologyTestDriver from the YAML a user would write (no services). */
import { fileURLToPath } from "node:url";
import { compileTopology } from "../../../topologies/compiler.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

export const PROCESSOR_TESTS = fileURLToPath(new URL(".", import.meta.url));

export async function driverFromYaml(yaml: string, now = 1_000_000): Promise<TopologyTestDriver> {
  const loaded = parseTopology(yaml, { file: "test.yaml", baseDir: PROCESSOR_TESTS, env: {} });
  return TopologyTestDriver.create(compileTopology(loaded), { now });
}
