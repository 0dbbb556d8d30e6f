/**
 * KafkaJS logs through sluice's pino logger (structured, secrets redacted) instead of its own JSON lines on
 * stdout. Protocol errors that only mean "a rebalance is under way" are expected in a consumer group and are
 * logged at debug, not error.
 */
import { type logCreator, logLevel } from "kafkajs";
import type { Logger } from "pino";

const EXPECTED =
  /rebalanc|not aware of this member|not the correct coordinator|coordinator is loading|group coordinator is not available/i;

/**
 * kafkajs warns whenever an idempotent producer has a retry limit. sluice limits producer retries on purpose
 * (an outage must surface as a paused partition, not hang a send for ever) and retries the whole write itself
 * — inside an aborted-and-retried transaction in exactly-once mode — so the warning says nothing actionable.
 */
const BENIGN_WARNINGS = /^Limiting retries for the idempotent producer may invalidate EoS guarantees/;

export function kafkaLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: "kafkajs" });
  return () =>
    ({ level, log: entry }) => {
      const {
        message,
        timestamp: _t,
        logger: _l,
        ...rest
      } = entry as { message: string; timestamp?: string; logger?: string; error?: unknown };
      const text = `${message}${typeof rest.error === "string" ? `: ${rest.error}` : ""}`;
      if (EXPECTED.test(text) || BENIGN_WARNINGS.test(message)) return log.debug(rest, message);
      if (level === logLevel.ERROR) log.error(rest, message);
      else if (level === logLevel.WARN) log.warn(rest, message);
      else if (level === logLevel.INFO) log.info(rest, message);
      else log.debug(rest, message);
    };
}
