/**
 * A private CA and a server certificate for the secure local broker, made with the machine's `openssl`, once:
 * clients trust `ca.pem`; the broker presents `broker.pem` (SAN IP:127.0.0.1 and DNS:localhost).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CertificatePaths {
  dir: string;
  /** The CA certificate clients pass as `ssl.ca`. */
  ca: string;
  caKey: string;
  /** The broker's certificate (leaf first, then the CA). */
  cert: string;
  /** The broker's private key, PKCS#8 PEM, mode 0600. */
  key: string;
  /** Key and certificate chain in one PEM file: Kafka's `ssl.keystore.type=PEM` location. */
  keystore: string;
}

export function certificatePaths(dir: string): CertificatePaths {
  return {
    dir,
    ca: join(dir, "ca.pem"),
    caKey: join(dir, "ca.key"),
    cert: join(dir, "broker.pem"),
    key: join(dir, "broker.key"),
    keystore: join(dir, "broker-keystore.pem"),
  };
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as { code?: string; stderr?: Buffer };
    if (e.code === "ENOENT") throw new Error("openssl is not installed: apt-get install -y openssl");
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? String(error)}`);
  }
}

export interface CertificateOptions {
  /** Names the broker certificate is valid for. @default ["IP:127.0.0.1", "DNS:localhost"] */
  subjectAltNames?: string[];
  /** @default 825 */
  days?: number;
}

/** Creates the CA and the broker certificate when they do not exist yet; returns their paths. */
export function ensureCertificates(dir: string, options: CertificateOptions = {}): CertificatePaths {
  const paths = certificatePaths(dir);
  if ([paths.ca, paths.cert, paths.key, paths.keystore].every((file) => existsSync(file))) return paths;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const days = String(options.days ?? 825);
  const sans = (options.subjectAltNames ?? ["IP:127.0.0.1", "DNS:localhost"]).join(",");
  openssl(
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", days],
      ...["-keyout", paths.caKey, "-out", paths.ca, "-subj", "/CN=sluice local CA"],
      ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ],
    dir,
  );
  const csr = join(dir, "broker.csr");
  const extensions = join(dir, "broker.ext");
  openssl(
    ["req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", paths.key, "-out", csr, "-subj", "/CN=localhost"],
    dir,
  );
  writeFileSync(
    extensions,
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
      `subjectAltName=${sans}`,
      "",
    ].join("\n"),
  );
  const leaf = join(dir, "broker-leaf.pem");
  openssl(
    [
      ...["x509", "-req", "-in", csr, "-CA", paths.ca, "-CAkey", paths.caKey, "-CAcreateserial"],
      ...["-sha256", "-days", days, "-extfile", extensions, "-out", leaf],
    ],
    dir,
  );
  const chain = readFileSync(leaf, "utf8") + readFileSync(paths.ca, "utf8");
  writeFileSync(paths.cert, chain);
  writeFileSync(paths.keystore, readFileSync(paths.key, "utf8") + chain, { mode: 0o600 });
  for (const file of [paths.caKey, paths.key, paths.keystore]) chmodSync(file, 0o600);
  for (const file of [csr, extensions, leaf, join(dir, "ca.srl")]) rmSync(file, { force: true });
  return paths;
}
