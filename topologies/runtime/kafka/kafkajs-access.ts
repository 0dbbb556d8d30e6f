/**
 * Fail fast on credentials: before `sluice run` joins its group, one connection with no retries tells a wrong
 * password or an untrusted certificate (→ `AuthError`, exit 4) from a broker that is merely not up yet.
 */
import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { AuthError } from "../../../core/errors.ts";

/** Node's codes for a certificate the client does not trust, or a TLS handshake that failed. */
const TLS_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "EPROTO",
]);

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  broker?: string;
  cause?: unknown;
  originalError?: unknown;
}

/** The error and its causes (KafkaJS wraps a failure in `KafkaJSNumberOfRetriesExceeded`, `cause`). */
function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current = error as ErrorLike | undefined;
  while (current && typeof current === "object" && out.length < 10 && !out.includes(current)) {
    out.push(current);
    current = (current.cause ?? current.originalError) as ErrorLike | undefined;
  }
  return out;
}

/** Replaces every occurrence of the configured secrets in a message (a last line of defence). */
function scrub(text: string, config: KafkaConfig): string {
  const secrets = [(config.sasl as { password?: string } | undefined)?.password].filter(
    (s): s is string => typeof s === "string" && s.length >= 4,
  );
  return secrets.reduce((t, s) => t.split(s).join("[redacted]"), text);
}

/**
 * The `AuthError` an authentication or TLS failure amounts to, or undefined for any other error. The message
 * names the broker and the user, never the password.
 */
export function authFailure(error: unknown, config: KafkaConfig): AuthError | undefined {
  const errors = chain(error);
  const brokers = Array.isArray(config.brokers) ? config.brokers.join(",") : "the brokers";
  const sasl = errors.find((e) => e.name === "KafkaJSSASLAuthenticationError");
  if (sasl) {
    const { mechanism, username } = (config.sasl ?? {}) as { mechanism?: string; username?: string };
    const who = `user "${username ?? "?"}" (SASL ${String(mechanism).toUpperCase()})`;
    const message = `kafka ${brokers}: authentication failed for ${who}: ${sasl.message}; check kafka.sasl.username and kafka.sasl.password`;
    return new AuthError(scrub(message, config), { cause: error });
  }
  const tls = errors.find((e) => e.code !== undefined && (TLS_CODES.has(e.code) || e.code.startsWith("ERR_SSL_")));
  if (tls) {
    const host = errors.find((e) => typeof e.broker === "string")?.broker ?? brokers;
    const reason = (tls.message ?? "").replace(/^Connection error: /, "");
    const hint =
      tls.code === "ERR_TLS_CERT_ALTNAME_INVALID"
        ? "the certificate does not name this host"
        : "pass the CA that signed the broker's certificate as kafka.ssl.ca (e.g. ca: ${file:ca.pem})";
    const message = `kafka ${host}: TLS handshake failed, the broker's certificate is not trusted (${tls.code}: ${reason}); ${hint}`;
    return new AuthError(scrub(message, config), { cause: error });
  }
  return undefined;
}

/**
 * Connects once, without retries, with the topology's Kafka settings. Throws `AuthError` on a rejected
 * password or certificate; any other failure (a broker still starting) is left to the runtime's retries.
 */
export async function checkKafkaAccess(config: KafkaConfig): Promise<void> {
  const admin = new Kafka({ ...config, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
  } catch (error) {
    const failure = authFailure(error, config);
    if (failure) throw failure;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
