/**
 * Multi-device accounts with real processes: alice links a second device (code, the same short
 * authentication string on both screens, approval on her first device), which gets her rooms,
 * private conversations and their recent history (sealed to it); what bob sends reaches both, what one of hers sends shows on the other as
 * hers; bob is told of the new device before its first message; a revoked device can no longer
 * log in and is out of every group.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { clientConfig, decodeMessage, loadCipherSuite } from "@secure-chat/client";
import { cipherSuites } from "@secure-chat/protocol";
import { ChatProcess, Lobby, savedGroupState, tempDir, uniqueMarker, type JsonEvent } from "./harness.js";
import { decryptWith, serverMessages } from "./server-log.js";

const trustAll = clientConfig({ validateCredential: async () => true });

describe("a second device of alice's account", () => {
  let lobby: Lobby;
  let alice: ChatProcess;
  let bob: ChatProcess;
  let alice2: ChatProcess;
  const linkedHome = tempDir("alice2");
  const dataDir = tempDir("server");
  const teamMarker = uniqueMarker("team-history");
  const lobbyMarker = uniqueMarker("lobby-history");

  before(async () => {
    lobby = await Lobby.start(["alice", "bob"], { dataDir });
    alice = lobby.get("alice");
    bob = lobby.get("bob");
    // A private conversation and an invite-only room exist before the new device does.
    bob.send("/msg alice before-linking");
    await alice.waitFor("bob's private message", (e) => e.type === "message" && e.text === "before-linking");
    await alice.command("/join +team", "info");
    const from = bob.events.length;
    alice.send("/invite bob");
    await bob.waitFor("invited to +team", (e) => e.type === "room" && e.room === "+team", from);
    alice.send(`/say +team ${teamMarker}`);
    bob.send(lobbyMarker);
    await alice.waitFor("bob's lobby message", (e) => e.type === "message" && e.text === lobbyMarker);
    await bob.waitFor("alice's team message", (e) => e.type === "message" && e.text === teamMarker);
  });

  after(async () => {
    await alice2?.kill();
    await lobby?.stop();
  });

  const message = (text: string) => (e: JsonEvent) => e.type === "message" && e.text === text;

  it("links with a code and the same short authentication string on both screens, then gets alice's rooms", async () => {
    alice2 = ChatProcess.link("alice", lobby.server.url, linkedHome, ["--label", "laptop"]);
    const code = String((await alice2.waitFor("link code", (e) => e.type === "link_code")).code);
    const offer = await alice.command(`/devices link ${code}`, "device_link");
    assert.equal(offer.type, "device_link", JSON.stringify(offer));
    assert.equal(offer.label, "laptop");
    const shown = await alice2.waitFor("short authentication string", (e) => e.type === "link_sas");
    assert.match(String(shown.sas), /^\d{3} \d{3}$/);
    assert.equal(shown.sas, offer.sas, "both screens show the same string");
    await alice.command("/devices approve", "info");
    const linked = await alice2.waitFor("linked", (e) => e.type === "linked");
    assert.equal(linked.device, "alice.2");
    await alice2.waitFor("ready", (e) => e.type === "ready");
    // Her first device adds it to the private conversation and +team; #lobby it joins itself.
    for (const room of ["@bob", "+team"]) {
      await alice2.waitFor(`in ${room}`, (e) => e.type === "room" && e.room === room && e.change === "joined");
    }
    // The recent history came with it, sealed: the same on both devices, and not in the server's files.
    const received = await alice2.waitFor("history", (e) => e.type === "history_received");
    assert.ok(Number(received.messages) >= 3, JSON.stringify(received));
    const historyOf = async (device: ChatProcess, room: string) => {
      await device.command(`/join ${room}`, "info");
      const reply = await device.command("/history 50", "history");
      return (reply.messages as JsonEvent[]).map((m) => [m.id, m.from, m.text]);
    };
    for (const room of ["#lobby", "@bob", "+team"]) {
      assert.deepEqual(await historyOf(alice2, room), await historyOf(alice, room), `${room}'s history`);
    }
    const texts = (await historyOf(alice2, "+team")).map(([, , text]) => text);
    assert.ok(texts.includes(teamMarker), "the new device has what was said before it was linked");
    assert.ok((await historyOf(alice2, "#lobby")).some(([, , text]) => text === lobbyMarker));
    const onServer = lobby.server.everythingWritten();
    for (const marker of [teamMarker, lobbyMarker]) assert.ok(!onServer.includes(marker), `${marker} on the server`);
    await alice.command("/join #lobby", "info");
    await alice2.command("/join #lobby", "info");

    const devices = await alice.command("/devices", "devices");
    const listed = (devices.devices as { device: string; label: string; revoked: boolean }[]).map((d) => [
      d.device,
      d.revoked,
    ]);
    assert.deepEqual(listed, [
      ["alice", false],
      ["alice.2", false],
    ]);
  });

  it("bob's messages in #lobby and in the private conversation reach both of alice's devices", async () => {
    const inLobby = uniqueMarker("lobby");
    const inPrivate = uniqueMarker("private");
    bob.send(inLobby);
    bob.send(`/msg alice ${inPrivate}`);
    for (const device of [alice, alice2]) {
      const lobbyMessage = await device.waitFor(`${inLobby} on ${device.name}`, message(inLobby));
      assert.equal(lobbyMessage.from, "bob");
      assert.equal(lobbyMessage.room, "#lobby");
      const privateMessage = await device.waitFor(`${inPrivate}`, message(inPrivate));
      assert.equal(privateMessage.room, "@bob");
    }
  });

  it("what alice sends from one device shows on the other as hers, and bob sees the new device before its first message", async () => {
    const fromFirst = uniqueMarker("first");
    alice.send(fromFirst);
    const onSecond = await alice2.waitFor(fromFirst, message(fromFirst));
    assert.equal(onSecond.from, "alice");
    const fromSecond = uniqueMarker("second");
    alice2.send(`/say @bob ${fromSecond}`);
    const onFirst = await alice.waitFor(fromSecond, message(fromSecond));
    assert.equal(onFirst.from, "alice");
    assert.equal(onFirst.room, "@bob");
    const atBob = await bob.waitFor(fromSecond, message(fromSecond));
    assert.equal(atBob.from, "alice");
    const notice = bob.events.findIndex(
      (e) => e.type === "device" && e.device === "alice.2" && e.change === "added" && e.room === "@alice",
    );
    assert.ok(notice >= 0 && notice < bob.events.indexOf(atBob), "the device notice comes first");
    const fingerprints = await bob.command("/fingerprint alice", "fingerprint");
    assert.deepEqual(
      (fingerprints.devices as { device: string }[]).map((d) => d.device),
      ["alice", "alice.2"],
    );
  });

  it("bob's invitation adds every device of alice's, and his kick removes them all", async () => {
    await bob.command("/join +later", "info");
    const from = [alice.events.length, alice2.events.length];
    bob.send("/invite alice");
    for (const [i, device] of [alice, alice2].entries()) {
      await device.waitFor(
        `${device.name} in +later`,
        (e) => e.type === "room" && e.room === "+later" && e.change === "joined",
        from[i],
      );
    }
    const said = uniqueMarker("later");
    bob.send(said);
    for (const device of [alice, alice2]) await device.waitFor(said, message(said));
    bob.send("/kick alice");
    for (const [i, device] of [alice, alice2].entries()) {
      await device.waitFor(
        `${device.name} removed from +later`,
        (e) => e.type === "room" && e.room === "+later" && e.change === "removed",
        from[i],
      );
    }
    await bob.command("/join #lobby", "info");
  });

  it("a revoked device leaves every group, its saved state decrypts nothing sent afterwards, and it can no longer log in", async () => {
    // Offline while bob writes: its saved state has not spent the key of `control`.
    await alice2.kill();
    const control = uniqueMarker("control");
    bob.send(`/msg alice ${control}`);
    await alice.waitFor(control, message(control));
    const from = bob.events.length;
    const reply = await alice.command("/devices revoke alice.2", "info");
    assert.equal(reply.type, "info", JSON.stringify(reply));
    for (const room of ["#lobby", "@alice", "+team"]) {
      await bob.waitFor(
        `alice.2 removed from ${room}`,
        (e) => e.type === "device" && e.device === "alice.2" && e.change === "removed" && e.room === room,
        from,
      );
    }
    const afterwards = uniqueMarker("after");
    bob.send(`/msg alice ${afterwards}`);
    await alice.waitFor(afterwards, message(afterwards));

    const log = serverMessages(dataDir, "@alice@bob").filter((m) => m.kind === 0);
    const [before, secret] = log.slice(-2).map((m) => decodeMessage(new Uint8Array(m.payload))!);
    const saved = await savedGroupState(linkedHome, "@alice@bob", trustAll);
    const impl = await loadCipherSuite(cipherSuites.xwing);
    // Positive control: the saved state reads what was sent before the revocation.
    assert.ok((await decryptWith(saved, before!, impl)).includes(control), "the control decryption failed");
    await assert.rejects(decryptWith(saved, secret!, impl), "the revoked device's state decrypted a later message");

    const again = ChatProcess.spawn("alice", lobby.server.url, linkedHome);
    assert.equal(await again.wait(), 1);
    assert.match(again.stderr, /DEVICE_REVOKED/);
  });

  it("a device revoked while it is online is told and stops", async () => {
    const home = tempDir("alice3");
    const alice3 = ChatProcess.link("alice", lobby.server.url, home);
    try {
      const code = String((await alice3.waitFor("link code", (e) => e.type === "link_code")).code);
      await alice.command(`/devices link ${code}`, "device_link");
      await alice.command("/devices approve --no-history", "info");
      assert.equal((await alice3.waitFor("linked", (e) => e.type === "linked")).device, "alice.3");
      await alice3.waitFor("ready", (e) => e.type === "ready");
      const from = alice3.events.length;
      await alice.command("/devices revoke alice.3", "info");
      await alice3.waitFor("told", (e) => e.type === "error" && e.code === "DEVICE_REVOKED", from);
      // Its link is closed for good: the server would have answered this on a link still open.
      const asked = await alice3.command("/who *", "online");
      assert.equal(asked.type === "error" && asked.code, "DISCONNECTED", JSON.stringify(asked));
    } finally {
      await alice3.kill();
    }
  });
});
