/**
 * Handlers await storage, yet a connection's frames are handled in the order they came: a send
 * to a group the server must first look up is stored before the send that followed it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ed25519 } from "@noble/curves/ed25519.js";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { MemoryBus } from "../src/bus/memory-bus.js";
import { defaultServerConfig } from "../src/config.js";
import { createContext } from "../src/context.js";
import { dispatch } from "../src/dispatch.js";
import { applicationMessage, recordingConnection, silentLog, sendFrame, soloGroup, suiteSqlite } from "./fakes.js";

const alice = "alice" as UserName;

describe("dispatch order", () => {
  const storage = suiteSqlite("secure-chat-order-");

  it("stores a connection's sends in the order sent, though the first must look its group up", async () => {
    const ctx = createContext({ ...defaultServerConfig, cipherSuite: "x25519" }, storage, new MemoryBus(), silentLog);
    const key = ed25519.keygen();
    await storage.registerUser(alice, key.publicKey);
    const [looked, cached] = ["+looked-up", "+cached"] as GroupId[];
    for (const groupId of [looked!, cached!]) await storage.createGroup(groupId, "invite", alice, undefined);
    ctx.members.set(cached!, new Set([alice])); // answered at once; +looked-up costs queries
    const messages = await Promise.all(
      [looked!, cached!].map(async (groupId) => applicationMessage(await soloGroup(alice, key, groupId))),
    );
    const side = recordingConnection(alice);
    [looked!, cached!].forEach((groupId, i) =>
      dispatch(ctx, side.connection, sendFrame(i + 1, groupId, i + 1, messages[i]!)),
    );
    for (let turn = 0; turn < 100 && side.received.length < 2; turn++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const seqOf = (rid: number): number | undefined => {
      const answer = side.received.find((frame) => "rid" in frame && frame.rid === rid);
      return answer?.type === "accepted" ? answer.seq : undefined;
    };
    const [first, second] = [seqOf(1), seqOf(2)];
    assert.ok(first !== undefined && second !== undefined, JSON.stringify(side.received));
    assert.ok(first < second, `the first send got seq ${first}, the one after it ${second}`);
    await ctx.cursors.close();
  });
});
