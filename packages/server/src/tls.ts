import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "selfsigned";

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 fingerprint of the certificate, colon-separated hex: what clients pin. */
  fingerprint256: string;
}

/** TLS is needed for anything that is not a loopback address. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function loadTls(certFile: string, keyFile: string): TlsMaterial {
  const cert = readFileSync(certFile, "utf8");
  return { cert, key: readFileSync(keyFile, "utf8"), fingerprint256: new X509Certificate(cert).fingerprint256 };
}

/** The data directory's self-signed certificate, made on first use and kept (clients pin it). */
export async function selfSignedTls(dataDir: string, host: string): Promise<TlsMaterial> {
  const certFile = join(dataDir, "tls-cert.pem");
  const keyFile = join(dataDir, "tls-key.pem");
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const now = Date.now();
    const pems = await generate([{ name: "commonName", value: `secure-chat ${host}` }], {
      keyType: "ec",
      curve: "P-256",
      algorithm: "sha256",
      notBeforeDate: new Date(now - 3_600_000),
      notAfterDate: new Date(now + 10 * 365 * 86_400_000),
    });
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    writeFileSync(certFile, pems.cert, { mode: 0o644 });
  }
  return loadTls(certFile, keyFile);
}
