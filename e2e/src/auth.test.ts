import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { signLogin } from "@secure-chat/protocol";
import { ChatProcess, ServerProcess, chatEnv, tempDir } from "./harness.js";
import { RawClients, rawIdentity, rawLogin, type RawClient } from "./raw-client.js";

describe("login and the name directory", () => {
  let server: ServerProcess;
  const raws = new RawClients(() => server.url);
  const connect = (): Promise<RawClient> => raws.connect();

  before(async () => {
    server = await ServerProcess.start();
  });

  after(async () => {
    raws.closeAll();
    await server?.kill();
  });

  it("refuses a second client using a registered name with another key: clear error, non-zero exit", async () => {
    const alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
    const impostor = await import("node:child_process").then(({ spawnSync }) =>
      spawnSync(
        process.execPath,
        [
          new URL("../../packages/cli/bin/secure-chat.js", import.meta.url).pathname,
          "chat",
          "--server",
          server.url,
          "--home",
          tempDir("impostor"),
          "alice",
        ],
        { input: "hello\n", encoding: "utf8", timeout: 20_000, env: chatEnv },
      ),
    );
    assert.notEqual(impostor.status, 0);
    assert.match(impostor.stderr, /NAME_TAKEN: the name alice is registered to another key/);
    assert.equal(impostor.stderr.trim().split("\n").length, 1, "more than one stderr line");
    await alice.kill();
  });

  it("refuses a new name that looks like a registered one: NAME_CONFUSABLE, one stderr line, exit 1, no home left", async () => {
    const bobHome = tempDir("bob");
    const bob = await ChatProcess.start("bob", server.url, bobHome);
    const b0bHome = join(tempDir("b0b"), "home");
    const b0b = ChatProcess.spawn("b0b", server.url, b0bHome);
    assert.equal(await b0b.wait(), 1);
    assert.equal(
      b0b.stderr,
      "secure-chat: NAME_CONFUSABLE: the name b0b looks like the registered name bob; choose another\n",
    );
    assert.equal(existsSync(b0bHome), false, "the refused first start left its home folder behind");
    assert.equal(await bob.quit(), 0);
    // bob himself still logs in, and a name that is merely similar (rob) registers.
    const again = await ChatProcess.start("bob", server.url, bobHome);
    const rob = await ChatProcess.start("rob", server.url, tempDir("rob"));
    assert.equal(await rob.quit(), 0);
    assert.equal(await again.quit(), 0);
  });

  it("answers hello the same for a registered name as for a free one: no listing names before a login", async () => {
    const answers = [];
    for (const name of ["alice", "nobody-by-this-name"]) {
      const client = await connect();
      const stranger = rawIdentity(name);
      client.send({ type: "hello", rid: 1, name, publicKey: stranger.publicKey });
      const answer = await client.next("challenge");
      answers.push(answer.type === "challenge" ? { type: answer.type, suite: answer.cipherSuite } : answer);
      client.close();
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.equal(answers[0]?.type, "challenge");
  });

  it("refuses a login frame with a bad signature and closes the connection", async () => {
    const client = await connect();
    const mallory = rawIdentity("mallory");
    client.send({ type: "hello", rid: 1, name: mallory.name, publicKey: mallory.publicKey });
    const challenge = await client.next("challenge");
    assert.equal(challenge.type, "challenge");
    const wrongKey = rawIdentity("mallory");
    client.send({
      type: "login",
      rid: 2,
      signature: signLogin(
        wrongKey.secretKey,
        challenge.type === "challenge" ? challenge.nonce : new Uint8Array(),
        "mallory",
      ),
    });
    const answer = await client.next("login_ok");
    assert.equal(answer.type, "error");
    assert.equal(answer.type === "error" && answer.code, "AUTH_FAILED");
    assert.equal(await client.closed(), 1008);
  });

  it("refuses a replayed challenge response on a new connection", async () => {
    const trudy = rawIdentity("trudy");
    const first = await connect();
    const { answer, signature } = await rawLogin(first, trudy);
    assert.equal(answer.type, "login_ok", JSON.stringify(answer));
    // An eavesdropper replays trudy's signed login on a connection of its own.
    const second = await connect();
    second.send({ type: "hello", rid: 1, name: trudy.name, publicKey: trudy.publicKey });
    await second.next("challenge");
    second.send({ type: "login", rid: 2, signature });
    const replayed = await second.next("login_ok");
    assert.equal(replayed.type === "error" && replayed.code, "AUTH_FAILED");
    // Nor can the same connection log in twice with the spent challenge.
    first.send({ type: "login", rid: 3, signature });
    const again = await first.next("login_ok");
    assert.equal(again.type === "error" && again.code, "UNEXPECTED_FRAME");
  });
});
