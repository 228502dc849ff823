import { readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { WebSocket } from "ws";
import type { SocketFactory, WebSocketLike } from "@secure-chat/client";

/** A refusal that carries a stable code through the socket's error event. */
class CertificateError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Trust on first use for servers' TLS certificates, like SSH's known_hosts: the first
 * certificate seen for a host:port is pinned in HOME/known_servers.json; a different one is
 * refused (CERT_CHANGED) unless the user accepts it deliberately with --accept-new-cert.
 */
export function pinningSocketFactory(
  home: string,
  acceptNewCertificate: boolean,
  notice: (message: string) => void,
): SocketFactory {
  const file = join(home, "known_servers.json");
  const load = (): Record<string, string> => {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    } catch {
      return {};
    }
  };
  return (url) => {
    const secure = url.startsWith("wss://");
    const socket = new WebSocket(url, { maxPayload: 64 * 1024 * 1024, rejectUnauthorized: !secure });
    if (secure) {
      socket.on("upgrade", (response: IncomingMessage) => {
        const presented = (response.socket as TLSSocket).getPeerCertificate().fingerprint256;
        const where = new URL(url).host;
        const known = load();
        const pinned = known[where];
        if (pinned === presented) return;
        if (pinned === undefined || acceptNewCertificate) {
          known[where] = presented;
          writeFileSync(file, `${JSON.stringify(known, null, 2)}\n`, { mode: 0o600 });
          notice(`${pinned === undefined ? "pinned" : "re-pinned"} ${where}'s certificate, SHA-256 ${presented}`);
          return;
        }
        socket.emit(
          "error",
          new CertificateError(
            "CERT_CHANGED",
            `${where}'s TLS certificate changed: pinned ${pinned}, now ${presented}. ` +
              `If the server's operator confirms the new fingerprint, run again with --accept-new-cert.`,
          ),
        );
        socket.terminate();
      });
    }
    return socket as unknown as WebSocketLike;
  };
}
