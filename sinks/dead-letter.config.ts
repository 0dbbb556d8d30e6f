/**
 * Config of the dead-letter sink (`type: dead-letter`): where poison records go, with their reason, error class
 * and processor in headers. The sink class lives in sinks/dead-letter.ts.
 */
import { z } from "zod";

export const deadLetterSinkConfig = z.strictObject({
  /** Dead-letter topic. @default `<applicationId>.dlq` */
  topic: z.string().min(1).optional(),
});
export type DeadLetterSinkConfig = z.infer<typeof deadLetterSinkConfig>;

/** The dead-letter topic of an application when none is configured. */
export function defaultDeadLetterTopic(applicationId: string): string {
  return `${applicationId}.dlq`;
}
