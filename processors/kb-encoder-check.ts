/**
 * Refuses to pair a knowledge-base table with an encoder it was not built with: the vector dimension and the
 * encoder model id recorded on the table must match the encoder folder's. Needs no TF.js, only the files.
 */

import { readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../core/errors.ts";
import type { KbTableInfo } from "./kb-table.ts";
import { modelIdOf } from "./model-files.ts";

/** The encoder's output dimension (from `encoder.json`) and model id, or a `ConfigError` naming the file. */
export async function encoderIdentity(dir: string): Promise<{ dim: number; modelId: string }> {
  const file = path.join(dir, "encoder.json");
  let dim: unknown;
  try {
    dim = (JSON.parse(await readFile(file, "utf8")) as { dim?: unknown }).dim;
  } catch (error) {
    throw new ConfigError(`encoder file ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (typeof dim !== "number") throw new ConfigError(`encoder file ${file}: no numeric "dim"`);
  return { dim, modelId: await modelIdOf(dir) };
}

export async function checkEncoderMatchesTable(
  encoderDir: string,
  tableName: string,
  info: KbTableInfo,
): Promise<void> {
  const encoder = await encoderIdentity(encoderDir);
  if (encoder.dim !== info.dim) {
    throw new ConfigError(
      `knowledge-base table ${tableName} holds ${info.dim}-d vectors but encoder ${encoderDir} makes ${encoder.dim}-d vectors`,
    );
  }
  if (info.encoderModelId !== undefined && info.encoderModelId !== encoder.modelId) {
    throw new ConfigError(
      `knowledge-base table ${tableName} was built with encoder ${info.encoderModelId}, not ${encoder.modelId} (${encoderDir}); rebuild it with \`sluice kb build\``,
    );
  }
}
