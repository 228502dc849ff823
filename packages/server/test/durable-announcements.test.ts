/**
 * Announcements wait for the disk (DurabilityGate), on the real handlers and storage:
 * - a send's fan-out, while the membership may change meanwhile: the message must reach the
 *   members at the time it was stored (one kicked just after still gets it, one added does not);
 * - catch-up: no page goes out before the disk has confirmed what it holds, and none if it fails;
 *   live deliveries wait for it, and a connection closed meanwhile is left unsubscribed.
 * - several sends in one sync: each member's frames stay in seq order, its own accepted included.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ed25519 } from "@noble/curves/ed25519.js";
import { encodeFrame, type GroupId, type UserName } from "@secure-chat/protocol";
import { MemoryBus } from "../src/bus/memory-bus.js";
import { defaultServerConfig } from "../src/config.js";
import { createContext, type ServerContext } from "../src/context.js";
import { dispatch } from "../src/dispatch.js";
import { encodeDelivery, startDelivery } from "../src/services/delivery.js";
import { NOT_CONFIRMED } from "../src/services/durability-gate.js";
import type { Storage, StoredDelivery } from "../src/storage/storage.js";
import { applicationMessage, recordingConnection, silentLog, sendFrame, soloGroup, suiteSqlite } from "./fakes.js";

const alice = "alice" as UserName;
const bob = "bob" as UserName;
const carol = "carol" as UserName;
const room = "#room" as GroupId;

describe("announcements that wait for the disk", () => {
  const sqlite = suiteSqlite("secure-chat-fanout-");

  /** A server context on the real storage, whose disk syncs finish only when the test says so. */
  async function manualDiskServer(): Promise<{
    ctx: ServerContext;
    storage: Storage;
    syncs: ((error?: Error) => Promise<void>)[];
  }> {
    const syncs: ((error?: Error) => Promise<void>)[] = [];
    const sync = (): Promise<void> =>
      new Promise((resolve, reject) =>
        syncs.push((error) => {
          if (error === undefined) resolve();
          else reject(error);
          // Settles once whatever the end of this sync set off has run.
          return new Promise((turn) => setImmediate(turn));
        }),
      );
    const storage: Storage = Object.create(sqlite, { sync: { value: sync } });
    const config = { ...defaultServerConfig, cipherSuite: "x25519" as const };
    const ctx = createContext(config, storage, new MemoryBus(), silentLog, 3_600_000);
    for (const name of [alice, bob, carol]) {
      if ((await storage.userKey(name)) === undefined) await storage.registerUser(name, ed25519.keygen().publicKey);
    }
    return { ctx, storage, syncs };
  }

  /** Stores one message of carol's in `groupId` directly (no disk sync): its delivery. */
  async function storeFromCarol(storage: Storage, groupId: GroupId, sendIdFill: number): Promise<StoredDelivery> {
    const [stored] = await storage.appendMessages([
      { groupId, sender: carol, payload: new Uint8Array(8), serverTs: 1, sendId: new Uint8Array(16).fill(sendIdFill) },
    ]);
    assert.equal(stored?.kind, "stored");
    return stored.delivery;
  }

  /** Carol's catch-up of one stored message of hers in a new group, started and waiting for the disk. */
  async function carolCatchingUp(groupId: GroupId, sendIdFill: number) {
    const server = await manualDiskServer();
    await server.storage.createGroup(groupId, "invite", carol, undefined);
    const stored = await storeFromCarol(server.storage, groupId, sendIdFill);
    const carolSide = recordingConnection(carol);
    const delivery = startDelivery(server.ctx, carolSide.connection, carol);
    await new Promise((resolve) => setImmediate(resolve));
    return { ...server, stored, carolSide, delivery };
  }

  it("a send's fan-out goes to the members at the time of the store, though the membership changes before the disk confirms", async () => {
    const { ctx, storage, syncs } = await manualDiskServer();
    await storage.createGroup(room, "open", alice, undefined);
    ctx.members.set(room, new Set([alice, bob]));
    const sender = recordingConnection(alice);
    const [bobSide, carolSide] = [recordingConnection(bob), recordingConnection(carol)];
    ctx.bus.subscribe(bob, bobSide.connection.releaseDeliveries());
    ctx.bus.subscribe(carol, carolSide.connection.releaseDeliveries());

    dispatch(
      ctx,
      sender.connection,
      encodeFrame({
        type: "send",
        rid: 7,
        groupId: room,
        sendId: new Uint8Array(16),
        message: await applicationMessage(await soloGroup(alice, ed25519.keygen(), room)),
      }),
    );
    await new Promise((resolve) => setImmediate(resolve)); // the send batcher stores it
    assert.equal(syncs.length, 1, "the message is stored and waits for the disk");
    // A commit now replaces the membership (as the commit handler does): bob out, carol in.
    ctx.members.set(room, new Set([alice, carol]));
    assert.deepEqual([sender.received, bobSide.received], [[], []], "nothing before the disk confirms");
    await syncs[0]!();

    assert.deepEqual(
      sender.received.map((f) => f.type),
      ["accepted"],
    );
    assert.deepEqual(
      bobSide.received.map((f) => f.type),
      ["deliver"],
      "bob was a member when it was stored",
    );
    assert.deepEqual(carolSide.received, [], "carol joined after it was stored");
  });

  it("catch-up sends no stored message before the disk has confirmed it", async () => {
    const { syncs, stored, carolSide, delivery } = await carolCatchingUp("+team" as GroupId, 9);
    assert.equal(syncs.length, 1, "the page waits for a sync");
    assert.equal(carolSide.received.length, 0, "nothing before the disk confirms");
    await syncs[0]!();
    await delivery;
    assert.deepEqual(
      carolSide.received.map((f) => (f.type === "deliver" ? f.seq : f.type)),
      [stored.seq, "synced"],
    );
  });

  it("live deliveries during catch-up wait for it, then go straight out; none after the connection closes", async () => {
    const den = "+den" as GroupId;
    const { ctx, storage, syncs, stored, carolSide, delivery } = await carolCatchingUp(den, 1);
    const append = (fill: number): Promise<StoredDelivery> => storeFromCarol(storage, den, fill);
    const duringCatchUp = await append(2);
    ctx.bus.publish([carol], encodeDelivery(duringCatchUp));
    assert.equal(carolSide.received.length, 0, "held while the page waits for the disk");
    await syncs[0]!();
    await delivery;
    const live = await append(3);
    // More than a catch-up may hold: the hold must be gone, or it would cut carol off.
    const liveFrame = encodeDelivery(live);
    for (let i = 0; i < 50_001; i++) ctx.bus.publish([carol], liveFrame);
    assert.equal(carolSide.connection.state.phase, "ready");
    carolSide.connection.close(1000, "bye");
    ctx.bus.publish([carol], encodeDelivery(await append(4)));
    assert.deepEqual(
      carolSide.received
        .map((f) => (f.type === "deliver" ? f.seq : f.type))
        .filter((seen) => typeof seen === "string" || seen >= stored.seq), // earlier tests stored some for carol
      [stored.seq, "synced", duringCatchUp.seq, ...Array<number>(50_001).fill(live.seq)],
    );
  });

  it("a connection that closes during its catch-up is not subscribed when the catch-up ends", async () => {
    const { ctx, syncs, stored, carolSide, delivery } = await carolCatchingUp("+nook" as GroupId, 5);
    carolSide.connection.close(1000, "bye");
    await syncs[0]!();
    await delivery;
    ctx.bus.publish([carol], encodeDelivery(stored));
    assert.deepEqual(carolSide.received, [], "nothing, neither the page nor the live frame");
  });

  it("catch-up whose page the disk does not confirm sends none of it: INTERNAL, and the connection closes", async () => {
    const { syncs, carolSide, delivery } = await carolCatchingUp("+club" as GroupId, 7);
    await syncs[0]!(new Error("EIO"));
    await delivery;
    assert.deepEqual(
      carolSide.received.map((f) => (f.type === "error" ? `${f.code}: ${f.message}` : f.type)),
      [`INTERNAL: ${NOT_CONFIRMED}`],
    );
    assert.equal(carolSide.connection.state.phase, "closed");
  });

  it("each member's frames come in seq order, its own accepted included, when several sends share one sync", async () => {
    // The client counts an accepted seq as seen and drops any delivery at or below it, so an
    // answer that overtook another member's earlier message would lose that message.
    const { ctx, storage, syncs } = await manualDiskServer();
    const lounge = "#lounge" as GroupId;
    await storage.createGroup(lounge, "open", alice, undefined);
    const everyone = [alice, bob, carol];
    ctx.members.set(lounge, new Set(everyone));
    const sides = everyone.map((name) => recordingConnection(name));
    sides.forEach((side, i) => ctx.bus.subscribe(everyone[i]!, side.connection.releaseDeliveries()));
    const messages = await Promise.all(
      everyone.map(async (name) => applicationMessage(await soloGroup(name, ed25519.keygen(), lounge))),
    );
    sides.forEach((side, i) => dispatch(ctx, side.connection, sendFrame(i + 1, lounge, 40 + i, messages[i]!)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(syncs.length, 1, "the three sends share one disk sync");
    await syncs[0]!();
    for (const [i, side] of sides.entries()) {
      const seqs = side.received.map((f) => (f.type === "deliver" || f.type === "accepted" ? f.seq : -1));
      assert.deepEqual(
        side.received.map((f) => f.type).sort(),
        ["accepted", "deliver", "deliver"],
        `${everyone[i]} gets its answer and the other two messages`,
      );
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        `${everyone[i]}'s frames are out of seq order`,
      );
    }
  });
});
