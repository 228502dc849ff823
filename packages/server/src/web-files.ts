import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";

/**
 * The browser client's built files, served on the WebSocket's own port. The server knows them
 * only as a folder of files (the CLI, its composition root, says which): it never imports web
 * or client code. Everything is read once at start and served from memory.
 */
export interface WebFiles {
  /** SHA-256 (hex) of index.html, the page that pins every other file by Subresource Integrity. */
  indexSha256: string;
  /** Answers a GET or HEAD (httpEndpoints refuses every other method before this is called). */
  handle(request: IncomingMessage, response: ServerResponse): void;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

interface WebFile {
  body: Buffer;
  contentType: string;
  etag: string;
  /** Names with a content hash never change; index.html is revalidated every time. */
  immutable: boolean;
}

/** The bundler's names, `app-AMY2EKDA.js`: a new build of the file gets a new name. */
const CONTENT_HASHED = /-[A-Z0-9]{8}\.(?:js|css)$/;

/** A Host header we are willing to echo into the CSP: a host name or address and a port, nothing else. */
const SAFE_HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The headers of every response. The CSP allows scripts and styles from this origin only (no
 * inline script, no eval), WebSocket connections only back to this server, no framing, no
 * plugins, no forms posted anywhere.
 */
export function securityHeaders(host: string | undefined): Record<string, string> {
  const self = host !== undefined && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : "";
  return {
    "Content-Security-Policy":
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
      `connect-src 'self'${self}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
  };
}

/** Reads the built folder; throws (the server does not start) when it has no index.html. */
export function loadWebFiles(dir: string): WebFiles {
  const files = new Map<string, WebFile>();
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    const path = join(dir, name);
    if (contentType === undefined || !statSync(path).isFile()) continue;
    const body = readFileSync(path);
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    files.set(`/${name}`, { body, contentType, etag, immutable: CONTENT_HASHED.test(name) });
  }
  const index = files.get("/index.html");
  if (index === undefined)
    throw new Error(`${join(dir, "index.html")} is missing: build the web client (npm run build)`);
  files.set("/", index);
  return {
    indexSha256: createHash("sha256").update(index.body).digest("hex"),
    handle(request, response) {
      const headers = securityHeaders(request.headers.host);
      const path = (request.url ?? "/").split("?")[0] ?? "/";
      const file = files.get(path);
      if (file === undefined) {
        response.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
        response.end("not found\n");
        return;
      }
      const fileHeaders = {
        ...headers,
        "Content-Type": file.contentType,
        ETag: file.etag,
        "Cache-Control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      };
      if (request.headers["if-none-match"] === file.etag) {
        response.writeHead(304, fileHeaders);
        response.end();
        return;
      }
      response.writeHead(200, { ...fileHeaders, "Content-Length": String(file.body.length) });
      response.end(request.method === "HEAD" ? undefined : file.body);
    },
  };
}

/** What a plain HTTP request gets when no web client is served (`--no-web`): what ws itself answers. */
export function noWebClient(request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(426, { ...securityHeaders(request.headers.host), "Content-Type": "text/plain" });
  response.end("Upgrade Required");
}
