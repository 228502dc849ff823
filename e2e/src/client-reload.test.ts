/**
 * A client whose saves fail while it starts (its disk fills during the catch-up): the start
 * still succeeds, the client says DISK_FULL once, and once saving works again it reloads its
 * state and shows every message it missed, in order, once. A real server process; the client
 * runs in this process so its store can be made to fail on cue (full-disk.test.ts does it with
 * a real filesystem, after the start).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ClientError, type ChatClient, type ChatEvent } from "@secure-chat/client";
import { ServerProcess, inProcessClient, tempDir, until } from "./harness.js";

/** A client on `home` whose every `apply` fails with DISK_FULL while `disk.full` is set. */
function client(name: string, server: ServerProcess, home: string, disk = { full: false }): ChatClient {
  return inProcessClient(name, server.url, {
    home,
    wrap: (store) =>
      new Proxy(store, {
        get(target, property, receiver) {
          if (property !== "apply" || !disk.full) return Reflect.get(target, property, receiver) as unknown;
          return () => {
            throw new ClientError("DISK_FULL", "this computer's disk is full: nothing more could be saved");
          };
        },
      }),
  });
}

describe("a client whose saves fail during its start", () => {
  const clients: ChatClient[] = [];
  let server: ServerProcess | undefined;
  after(async () => {
    for (const c of clients) await c.close();
    await server?.kill();
  });

  it("starts anyway, says DISK_FULL once, then reloads and shows what it missed, in order, once", async () => {
    server = await ServerProcess.start();
    const bobHome = tempDir("reload-bob");
    const alice = client("alice", server, tempDir("reload-alice"));
    clients.push(alice);
    await alice.start();
    const bobFirst = client("bob", server, bobHome);
    await bobFirst.start();
    const lobby = alice.resolveRoom("#lobby");
    assert.ok(lobby !== undefined);
    // Messages sent before alice has bob's join are for an epoch bob never had.
    await until("alice to see bob join", () => alice.who(lobby).some((m) => m.name === "bob") || undefined);
    await bobFirst.close(); // bob is now a member of #lobby, and offline

    const texts = ["one", "two", "three"];
    for (const text of texts) await alice.send(lobby, text);
    await until("the server to store alice's messages", () => alice.outboxEmpty || undefined);

    const disk = { full: true };
    const bob = client("bob", server, bobHome, disk);
    clients.push(bob);
    const events: ChatEvent[] = [];
    bob.on((event) => events.push(event));
    await bob.start(); // its catch-up's saves fail
    assert.deepEqual(
      events.filter((e) => e.type === "error").map((e) => e.type === "error" && e.code),
      ["DISK_FULL"],
    );
    assert.equal(events.filter((e) => e.type === "message").length, 0, "nothing shown that was not saved");

    disk.full = false;
    await until(
      "bob to show what he missed",
      () => events.filter((e) => e.type === "message").length >= texts.length || undefined,
    );
    alice.send(lobby, "after").catch(() => undefined);
    await until("the last message", () => events.some((e) => e.type === "message" && e.text === "after") || undefined);
    assert.deepEqual(
      events.flatMap((e) => (e.type === "message" ? [e.text] : [])),
      [...texts, "after"],
      "every message once, in order",
    );
  });
});
