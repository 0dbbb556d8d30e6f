/** Exit codes of the `sluice` command, documented in `sluice --help` and the README. */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** Invalid input: a topology, a file, an argument. Nothing was started. */
  INVALID: 1,
  /** A service the command needs is unavailable (broker, registry, ClickHouse). */
  UNAVAILABLE: 3,
  /** Authentication or TLS failure. */
  AUTH: 4,
  /** Stopped by a second signal before draining finished. */
  INTERRUPTED: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    invalid input (topology, file, argument); nothing started
  2    usage error (unknown command or option)
  3    a service is unavailable (Kafka, schema registry, ClickHouse)
  4    authentication or TLS failure
  130  interrupted by a second signal`;
