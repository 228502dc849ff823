import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ed25519 } from "@noble/curves/ed25519.js";
import { decodeMlsMessage } from "ts-mls";
import { ChatProcess, Lobby, tempDir } from "./harness.js";
import { ReplayProxy } from "./replay-proxy.js";
import { RawClients, rawIdentity, rawKeyPackage, rawLogin, type RawIdentity, type RawClient } from "./raw-client.js";

describe("impersonation", () => {
  let lobby: Lobby;
  let mallory: RawClient;
  let malloryId: RawIdentity;
  const raws = new RawClients(() => lobby.server.url);
  const connect = (): Promise<RawClient> => raws.connect();

  before(async () => {
    lobby = await Lobby.start(["alice"]);
    malloryId = rawIdentity("mallory");
    mallory = await connect();
    await rawLogin(mallory, malloryId);
  });

  after(async () => {
    raws.closeAll();
    await lobby?.stop();
  });

  it("refuses a KeyPackage that claims another registered name", async () => {
    mallory.send({
      type: "upload_key_packages",
      rid: 20,
      keyPackages: [await rawKeyPackage("alice", malloryId)],
      lastResort: new Uint8Array(),
    });
    const answer = await mallory.next("ok");
    assert.equal(answer.type === "error" && answer.code, "BAD_MLS");
  });

  it("refuses a KeyPackage signed by another key than the uploader's", async () => {
    const stranger = ed25519.keygen();
    mallory.send({
      type: "upload_key_packages",
      rid: 21,
      keyPackages: [await rawKeyPackage("mallory", stranger)],
      lastResort: new Uint8Array(),
    });
    const answer = await mallory.next("ok");
    assert.equal(answer.type === "error" && answer.code, "BAD_MLS");
    mallory.send({
      type: "upload_key_packages",
      rid: 22,
      keyPackages: [await rawKeyPackage("mallory", malloryId)],
      lastResort: new Uint8Array(),
    });
    assert.equal((await mallory.next("ok")).type, "ok", "a genuine KeyPackage is accepted (control)");
  });

  it("hands out each one-time KeyPackage once, even to parallel claims", async () => {
    const claimers = [await connect(), await connect()];
    await rawLogin(claimers[0]!, rawIdentity("claimer1"));
    await rawLogin(claimers[1]!, rawIdentity("claimer2"));
    const rounds = 30;
    for (let rid = 100; rid < 100 + rounds; rid++) {
      for (const claimer of claimers) claimer.send({ type: "claim_key_package", rid, name: "alice" });
    }
    const packages: string[] = [];
    for (const claimer of claimers) {
      for (let i = 0; i < rounds; i++) {
        const answer = await claimer.next("key_package");
        assert.equal(answer.type, "key_package", JSON.stringify(answer));
        if (answer.type === "key_package") packages.push(Buffer.from(answer.keyPackage).toString("base64"));
      }
    }
    const counts = new Map<string, number>();
    for (const kp of packages) counts.set(kp, (counts.get(kp) ?? 0) + 1);
    const repeated = [...counts.values()].filter((n) => n > 1);
    assert.equal(repeated.length, 1, "only the last-resort KeyPackage may be handed out more than once");
    assert.equal(counts.size, 21, "alice stocks 20 one-time KeyPackages plus one last resort");
    for (const kp of counts.keys()) {
      const decoded = decodeMlsMessage(Buffer.from(kp, "base64"), 0)?.[0];
      assert.ok(decoded?.wireformat === "mls_key_package");
      const credential = decoded.keyPackage.leafNode.credential;
      assert.ok(credential.credentialType === "basic");
      assert.equal(new TextDecoder().decode(credential.identity), "alice");
    }
  });
});

describe("a server that replays application messages", () => {
  let lobby: Lobby;
  let proxy: ReplayProxy;

  before(async () => {
    lobby = await Lobby.start(["alice"]);
    proxy = await ReplayProxy.start(lobby.server.url);
  });

  after(async () => {
    await proxy?.stop();
    await lobby?.stop();
  });

  it("gets each replay refused: the client shows every message once", async () => {
    const alice = lobby.get("alice");
    const bob = await ChatProcess.start("bob", proxy.url, tempDir("bob"));
    try {
      await alice.waitFor("bob joined", (e) => e.type === "member" && e.name === "bob");
      const texts = Array.from({ length: 10 }, (_, i) => `replay me ${i}`);
      for (const text of texts) alice.send(text);
      await bob.waitForMessages(texts.length);
      alice.send("the end");
      await bob.waitFor("last message", (e) => e.type === "message" && e.text === "the end");
      assert.deepEqual(
        bob.messages().map((m) => m.text),
        [...texts, "the end"],
        "a replayed message was shown",
      );
      assert.ok(proxy.replays >= texts.length, "the proxy did not replay");
      const refused = bob.events.filter((e) => e.type === "error" && e.code === "DECRYPT_FAILED");
      assert.ok(refused.length >= texts.length, `replays were not refused but lost (${refused.length} refusals)`);
    } finally {
      await bob.kill();
    }
  });
});

describe("a server that relabels senders", () => {
  let lobby: Lobby;
  let proxy: ReplayProxy;

  before(async () => {
    lobby = await Lobby.start(["alice", "carol"]);
    proxy = await ReplayProxy.start(lobby.server.url, "relabel", "carol");
  });

  after(async () => {
    await proxy?.stop();
    await lobby?.stop();
  });

  it("can't put words in another member's mouth: the sender shown is the one MLS authenticated", async () => {
    const alice = lobby.get("alice");
    const bob = await ChatProcess.start("bob", proxy.url, tempDir("bob"));
    try {
      await alice.waitFor("bob joined", (e) => e.type === "member" && e.name === "bob");
      alice.send("signed by alice");
      const shown = await bob.waitFor("message", (e) => e.type === "message" && e.text === "signed by alice");
      assert.equal(shown.from, "alice");
    } finally {
      await bob.kill();
    }
  });

  it("can't take credit for another member's commit, join or Welcome: the 'by' shown is the one MLS authenticated", async () => {
    const alice = lobby.get("alice");
    const dave = await ChatProcess.start("dave", proxy.url, tempDir("dave"));
    try {
      await alice.waitFor("dave joined", (e) => e.type === "member" && e.name === "dave");
      // alice commits dave into a room of hers, then carol: dave sees alice's commit labelled as carol's.
      assert.equal((await alice.command("/join +den", "room")).type, "room");
      assert.equal((await alice.command("/invite dave", "member")).type, "member");
      const added = await dave.waitFor("the room", (e) => e.type === "room" && e.room === "+den");
      assert.equal(added.by, "alice", "who added dave: the signer of the Welcome's GroupInfo");
      alice.send("/invite carol");
      const change = await dave.waitFor(
        "carol's arrival",
        (e) => e.type === "member" && e.name === "carol" && e.room === "+den",
      );
      assert.equal(change.by, "alice");
      // A join by external commit: its author is the joiner's new leaf.
      await lobby.add("erin");
      const joined = await dave.waitFor("erin's arrival", (e) => e.type === "member" && e.name === "erin");
      assert.equal(joined.by, "erin");
    } finally {
      await dave.kill();
    }
  });
});
