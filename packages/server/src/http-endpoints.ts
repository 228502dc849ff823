import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { ServerContext } from "./context.js";
import { checkHealth } from "./health.js";
import { EXPOSITION_CONTENT_TYPE } from "./metrics/exposition.js";

function reply(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    ...headers,
  });
  response.end(body);
}

/** Shorter tokens are refused: the token is all that guards /metrics. */
const MIN_TOKEN_LENGTH = 16;

/** The token in `file` (its first line, trimmed); throws a sentence for the operator if unusable. */
export function readMetricsToken(file: string): string {
  const token = (readFileSync(file, "utf8").split("\n")[0] ?? "").trim();
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new Error(`the metrics token in ${file} must be at least ${MIN_TOKEN_LENGTH} characters long`);
  }
  return token;
}

/** Compares digests, so the comparison takes as long whatever the guess. */
function presentsToken(request: IncomingMessage, token: string): boolean {
  const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
  if (given === undefined) return false;
  const digest = (text: string): Buffer => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * The plain HTTP requests on the WebSocket port: `/healthz` for a balancer (200 "ready", or
 * 503 with the reason) and `/metrics` for Prometheus (behind a bearer token when the operator
 * set one); every other path goes to `otherPaths` (the web client). A change of readiness is logged, so the operator sees why a balancer dropped the node.
 */
export function httpEndpoints(
  ctx: ServerContext,
  metricsToken: string | undefined,
  otherPaths: RequestListener,
): RequestListener {
  let lastReason: string | undefined;
  return (request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      reply(response, 405, "only GET and HEAD\n", { allow: "GET, HEAD" });
      return;
    }
    if (path === "/healthz") {
      void checkHealth(ctx).then((health) => {
        const reason = health.ready ? undefined : health.reason;
        if (reason !== lastReason) {
          if (reason === undefined) ctx.log.info("ready");
          else ctx.log.warn("not_ready", { reason });
          lastReason = reason;
        }
        if (reason === undefined) reply(response, 200, "ready\n");
        else reply(response, 503, `not ready: ${reason}\n`);
      });
      return;
    }
    if (path === "/metrics") {
      if (metricsToken !== undefined && !presentsToken(request, metricsToken)) {
        reply(response, 401, "metrics need the bearer token set by --metrics-token-file\n", {
          "www-authenticate": "Bearer",
        });
        return;
      }
      reply(response, 200, ctx.metrics.render(), { "content-type": EXPOSITION_CONTENT_TYPE });
      return;
    }
    otherPaths(request, response);
  };
}
