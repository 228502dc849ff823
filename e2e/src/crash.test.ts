import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { ChatProcess, ServerProcess, freePort, tempDir } from "./harness.js";

/** `CRASH_KILLS` (default 20) and `CRASH_MESSAGES` (per client, default 200) scale the run. */
const kills = Number(process.env["CRASH_KILLS"] ?? 20);
const perClient = Number(process.env["CRASH_MESSAGES"] ?? 200);

function inspect(dataDir: string): { integrity: string; seqs: Set<number>; perSender: Map<string, number> } {
  const db = new Database(join(dataDir, "secure-chat.db"), { readonly: true });
  try {
    const integrity = (db.pragma("integrity_check") as { integrity_check: string }[])[0]?.integrity_check ?? "";
    const rows = db.prepare("SELECT seq, sender FROM messages WHERE kind = 0").all() as {
      seq: number;
      sender: string;
    }[];
    const perSender = new Map<string, number>();
    for (const row of rows) perSender.set(row.sender, (perSender.get(row.sender) ?? 0) + 1);
    return { integrity, seqs: new Set(rows.map((r) => r.seq)), perSender };
  } finally {
    db.close();
  }
}

describe("server crashes (kill -9)", () => {
  let server: ServerProcess;
  const clients: ChatProcess[] = [];
  const dataDir = tempDir("server");
  let port: number;

  before(async () => {
    port = await freePort();
    server = await ServerProcess.start({ dataDir, port, args: ["--heartbeat", "1"] });
    for (const name of ["alice", "bob", "carol"]) {
      clients.push(await ChatProcess.start(name, server.url, tempDir(name), ["--heartbeat", "1"]));
    }
    await clients[0]!.waitFor("carol joined", (e) => e.type === "member" && e.name === "carol");
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.kill()));
    await server?.kill();
  });

  it(`keeps every acknowledged message exactly once across ${kills} kills, and the database intact`, async () => {
    for (const client of clients) {
      client.send(Array.from({ length: perClient }, (_, i) => `${client.name} ${i}`).join("\n"));
    }
    const acknowledged = (): number[] =>
      clients.flatMap((c) =>
        c
          .messages()
          .filter((m) => m.from === c.name)
          .map((m) => Number(m.seq)),
      );
    for (let round = 0; round < kills; round++) {
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 900));
      await server.kill("SIGKILL");
      const acked = acknowledged();
      const state = inspect(dataDir);
      assert.equal(state.integrity, "ok", `integrity_check after kill ${round + 1}`);
      const lost = acked.filter((seq) => !state.seqs.has(seq));
      assert.deepEqual(lost, [], `acknowledged messages missing after kill ${round + 1}`);
      server = await ServerProcess.start({ dataDir, port, args: ["--heartbeat", "1"] });
    }
    const total = perClient * clients.length;
    for (const client of clients) await client.waitForMessages(total, "#lobby", 300_000);
    for (const client of clients) {
      const messages = client.messages();
      assert.equal(new Set(messages.map((m) => m.id)).size, total, `${client.name} was shown a message twice`);
      for (const sender of clients) {
        const order = messages.filter((m) => m.from === sender.name).map((m) => Number(String(m.text).split(" ")[1]));
        assert.deepEqual(
          order,
          Array.from({ length: perClient }, (_, i) => i),
          `${sender.name}'s order at ${client.name}`,
        );
      }
    }
    const final = inspect(dataDir);
    assert.equal(final.integrity, "ok");
    for (const sender of clients) {
      assert.equal(final.perSender.get(sender.name), perClient, `${sender.name}'s messages are stored exactly once`);
    }
  });
});
