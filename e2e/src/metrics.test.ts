/**
 * /metrics of a real `secure-chat server`: Prometheus text that parses, counters that move with
 * traffic, and nothing in it that names who talks, where or about what.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Lobby, ServerProcess, httpGet, tempDir, uniqueMarker } from "./harness.js";
import { parseExposition, sampleValue, type Exposition } from "./prometheus-text.js";
import { RawClient } from "./raw-client.js";

async function scrape(server: ServerProcess, headers: Record<string, string> = {}): Promise<Exposition> {
  const reply = await httpGet(server.url, "/metrics", headers);
  assert.equal(reply.status, 200, reply.body);
  assert.equal(reply.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(reply.body);
}

/** Scrapes until `done` holds for the exposition (deliveries and acks are counted a moment later). */
async function scrapeUntil(server: ServerProcess, what: string, done: (exposition: Exposition) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const exposition = await scrape(server);
    if (done(exposition)) return exposition;
    if (Date.now() > deadline) throw new Error(`/metrics never showed ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("/metrics", () => {
  it("parses as Prometheus text, counts deliveries, acks and errors after traffic, and names nobody", async (t) => {
    const lobby = await Lobby.start(["zelda", "yusuf"]);
    t.after(() => lobby.stop());
    const { server } = lobby;
    const before = await scrape(server);
    const typed = (name: string) => before.types.get(name);
    assert.equal(typed("securechat_connections"), "gauge");
    assert.equal(typed("securechat_deliveries_total"), "counter");
    assert.equal(typed("securechat_acks_total"), "counter");
    assert.equal(typed("securechat_errors_total"), "counter");
    assert.equal(typed("securechat_storage_seconds"), "histogram");
    assert.equal(typed("securechat_bus_seconds"), "histogram");
    assert.equal(typed("process_cpu_seconds_total"), "counter");
    assert.equal(typed("process_resident_memory_bytes"), "gauge");
    assert.equal(sampleValue(before, "securechat_connections"), 2);
    assert.equal(sampleValue(before, "securechat_users_online"), 2);
    assert.ok(sampleValue(before, "securechat_storage_seconds_count", { operation: "acceptCommit" }) >= 1, "joins");

    const marker = uniqueMarker("metrics");
    lobby.get("zelda").send(marker);
    await lobby.get("yusuf").waitFor("the message", (e) => e.type === "message" && e.text === marker);
    // A text frame is not part of the protocol: BAD_FRAME, counted by its code.
    const raw = await RawClient.connect(server.url);
    raw.sendBytes("not a frame");
    await raw.closed();

    const deliveriesBefore = sampleValue(before, "securechat_deliveries_total");
    const acksBefore = sampleValue(before, "securechat_acks_total");
    // Acks come in batches, a moment after the message is shown: ask until they are counted.
    const after = await scrapeUntil(
      server,
      "the acknowledgement",
      (latest) => sampleValue(latest, "securechat_acks_total") > acksBefore,
    );
    assert.ok(sampleValue(after, "securechat_deliveries_total") > deliveriesBefore, "the message was delivered");
    assert.equal(sampleValue(after, "securechat_errors_total", { code: "BAD_FRAME" }), 1);
    assert.ok(sampleValue(after, "securechat_storage_seconds_count", { operation: "appendMessages" }) >= 1);
    assert.ok(sampleValue(after, "securechat_storage_seconds_count", { operation: "sync" }) >= 1, "disk syncs");
    assert.ok(sampleValue(after, "securechat_bus_seconds_count", { operation: "publishToGroup" }) >= 1);

    const text = (await httpGet(server.url, "/metrics")).body;
    for (const secret of ["zelda", "yusuf", "lobby", marker, "127.0.0.1"]) {
      assert.ok(!text.includes(secret), `${secret} appears in /metrics`);
    }
  });

  it("asks for the bearer token in --metrics-token-file when one is set", async (t) => {
    const tokenFile = join(tempDir("metrics-token"), "token");
    const token = "a-long-enough-random-token-1234";
    writeFileSync(tokenFile, `${token}\n`);
    const server = await ServerProcess.start({ args: ["--metrics-token-file", tokenFile] });
    t.after(() => server.kill());
    const refusedHeaders: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-token-of-some-length" },
      { authorization: token },
    ];
    for (const headers of refusedHeaders) {
      const reply = await httpGet(server.url, "/metrics", headers);
      assert.equal(reply.status, 401, JSON.stringify(headers));
      assert.equal(reply.headers["www-authenticate"], "Bearer");
      assert.ok(!reply.body.includes("securechat_"), "nothing of the metrics without the token");
    }
    await scrape(server, { authorization: `Bearer ${token}` });
    // The health check needs no token: a balancer has none.
    assert.equal((await httpGet(server.url, "/healthz")).status, 200);
  });

  it("refuses to start with a token too short to guard anything", async () => {
    const tokenFile = join(tempDir("metrics-token"), "token");
    writeFileSync(tokenFile, "short\n");
    await assert.rejects(
      ServerProcess.start({ args: ["--metrics-token-file", tokenFile] }),
      /LISTEN_FAILED: cannot start the server: the metrics token in .* must be at least 16 characters long/,
    );
  });
});
