import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PROTOCOL_VERSION, encodeFrame } from "@secure-chat/protocol";
import { Lobby, type ChatProcess } from "./harness.js";
import { RawClients, rawIdentity, rawLogin, type RawClient } from "./raw-client.js";

describe("malformed, oversized, unknown and premature frames", () => {
  let lobby: Lobby;
  let alice: ChatProcess;
  let bob: ChatProcess;
  const raws = new RawClients(() => lobby.server.url);
  const connect = (): Promise<RawClient> => raws.connect();

  async function expectError(raw: RawClient, code: string, closeCode?: number): Promise<void> {
    const frame = await raw.next("error");
    assert.equal(frame.type, "error");
    assert.equal(frame.type === "error" && frame.code, code);
    assert.ok(frame.type === "error" && frame.message.length > 10, "the error needs a human sentence");
    if (closeCode !== undefined) assert.equal(await raw.closed(), closeCode);
  }

  before(async () => {
    lobby = await Lobby.start(["alice", "bob"]);
    alice = lobby.get("alice");
    bob = lobby.get("bob");
  });

  after(async () => {
    raws.closeAll();
    await lobby?.stop();
  });

  it("answers garbage with BAD_FRAME and closes", async () => {
    const raw = await connect();
    raw.sendBytes(new Uint8Array([PROTOCOL_VERSION, 8, 0, 0, 0, 9, 1]));
    await expectError(raw, "BAD_FRAME", 1007);
  });

  it("answers an unknown frame type with UNKNOWN_FRAME and closes", async () => {
    const raw = await connect();
    raw.sendBytes(new Uint8Array([PROTOCOL_VERSION, 200, 1, 2, 3]));
    await expectError(raw, "UNKNOWN_FRAME", 1003);
  });

  it("answers another protocol version with UNSUPPORTED_VERSION", async () => {
    const raw = await connect();
    raw.sendBytes(new Uint8Array([9, 1]));
    await expectError(raw, "UNSUPPORTED_VERSION", 1002);
  });

  it("refuses text frames", async () => {
    const raw = await connect();
    raw.sendBytes("hello?");
    await expectError(raw, "BAD_FRAME", 1007);
  });

  it("refuses any frame before login with NOT_AUTHENTICATED", async () => {
    const raw = await connect();
    raw.send({
      type: "send",
      rid: 7,
      groupId: "#lobby",
      sendId: new Uint8Array(16),
      message: new Uint8Array([1, 2, 3]),
    });
    await expectError(raw, "NOT_AUTHENTICATED", 1008);
  });

  it("refuses a server-to-client frame sent by a client", async () => {
    const raw = await connect();
    raw.sendBytes(encodeFrame({ type: "presence", name: "alice", online: true }));
    await expectError(raw, "UNEXPECTED_FRAME", 1008);
  });

  it("answers an oversized frame with FRAME_TOO_LARGE and closes", async () => {
    const raw = await connect();
    raw.sendBytes(new Uint8Array(9 * 1024 * 1024));
    await expectError(raw, "FRAME_TOO_LARGE", 1009);
    const huge = await connect();
    huge.sendBytes(new Uint8Array(17 * 1024 * 1024));
    assert.equal(await huge.closed(), 1009, "ws's own hard cap closes with 1009");
  });

  it("answers bad MLS in a valid frame with an error, keeping the connection", async () => {
    const raw = await connect();
    const { answer } = await rawLogin(raw, rawIdentity("mallory"));
    assert.equal(answer.type, "login_ok");
    raw.send({
      type: "send",
      rid: 3,
      groupId: "#lobby",
      sendId: new Uint8Array(16),
      message: new Uint8Array([0, 1, 2, 3]),
    });
    await expectError(raw, "NOT_MEMBER");
    raw.send({
      type: "commit",
      rid: 4,
      groupId: "#lobby",
      commit: new Uint8Array(64),
      groupInfo: new Uint8Array(),
      welcome: new Uint8Array(),
    });
    await expectError(raw, "BAD_MLS");
    raw.send({ type: "upload_key_packages", rid: 5, keyPackages: [new Uint8Array(10)], lastResort: new Uint8Array() });
    await expectError(raw, "BAD_MLS");
    raw.send({ type: "list_online", rid: 6 });
    const online = await raw.next("online");
    assert.equal(online.type, "online", "the connection still works after rejected requests");
  });

  it("keeps serving everyone else", async () => {
    alice.send("still here?");
    await bob.waitFor("message after the attacks", (e) => e.type === "message" && e.text === "still here?");
    bob.send("yes");
    await alice.waitFor("reply", (e) => e.type === "message" && e.text === "yes");
  });
});
