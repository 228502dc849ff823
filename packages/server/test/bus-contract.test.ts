/**
 * The behaviour every `Bus` adapter must have, run against the in-process bus (one node) and
 * NATS (two nodes: frames published on one reach subscribers on the other). Delivery on NATS is
 * asynchronous: a test publishes a marker after what it checks and waits for it, and frames of
 * one publisher keep their order, so what had to arrive has arrived by then.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { GroupId, UserName } from "@secure-chat/protocol";
import type { Bus, DeliveryTarget } from "../src/bus/bus.js";
import { MemoryBus } from "../src/bus/memory-bus.js";
import { NatsBus } from "../src/bus/nats-bus.js";
import { NatsInstance, natsMissing } from "./nats-instance.js";
import { skipUnlessCi } from "./throwaway-service.js";

const alice = "alice" as UserName;
const bob = "bob" as UserName;
const carol = "carol" as UserName;
const marker = new Uint8Array([0xff]);

interface BusPair {
  /** Where the test publishes. */
  publisher: Bus;
  /** Where the test subscribes: the same bus for one node, another node's for NATS. */
  subscriber: Bus;
  close(): Promise<void>;
}

function recorder(): { frames: Uint8Array[]; target: DeliveryTarget } {
  const frames: Uint8Array[] = [];
  return { frames, target: { send: (frame) => frames.push(Uint8Array.from(frame)) } };
}

async function eventually(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Publishes a marker to `name` and waits until `seen` has it: everything published before has arrived. */
async function settle(pair: BusPair, name: UserName, seen: { frames: Uint8Array[] }): Promise<void> {
  pair.publisher.publish([name], marker);
  await eventually("the marker", () => seen.frames.some((frame) => frame[0] === 0xff));
  seen.frames.splice(
    seen.frames.findIndex((frame) => frame[0] === 0xff),
    1,
  );
}

function busContract(name: string, open: () => Promise<BusPair>): void {
  const withPair = (body: (pair: BusPair) => Promise<void>) => async () => {
    const pair = await open();
    try {
      await body(pair);
    } finally {
      await pair.close();
    }
  };

  describe(`${name} bus contract`, () => {
    it(
      "publish reaches each recipient's subscribers, with the bytes published, in publish order",
      withPair(async (pair) => {
        const a = recorder();
        const b = recorder();
        const c = recorder();
        pair.subscriber.subscribe(alice, a.target);
        pair.subscriber.subscribe(bob, b.target);
        pair.subscriber.subscribe(carol, c.target);
        for (let i = 0; i < 50; i++) pair.publisher.publish([alice, bob], new Uint8Array([1, i]));
        await settle(pair, alice, a);
        await settle(pair, carol, c);
        const expected = Array.from({ length: 50 }, (_, i) => new Uint8Array([1, i]));
        assert.deepEqual(a.frames, expected);
        await eventually("bob's frames", () => b.frames.length === 50);
        assert.deepEqual(b.frames, expected);
        assert.deepEqual(c.frames, [], "not a recipient");
      }),
    );

    it(
      "publishToGroup reaches every member's subscribers but the one excepted",
      withPair(async (pair) => {
        const a = recorder();
        const b = recorder();
        const laptop = recorder();
        pair.subscriber.subscribe(alice, a.target);
        pair.subscriber.subscribe(bob, b.target);
        pair.subscriber.subscribe(bob, laptop.target);
        pair.publisher.publishToGroup(new Set([alice, bob, carol]), new Uint8Array([2]), alice);
        pair.publisher.publishToGroup(new Set([alice, bob]), new Uint8Array([3]));
        await settle(pair, alice, a);
        assert.deepEqual(a.frames, [new Uint8Array([3])], "the excepted sender gets only the other frame");
        await eventually("bob's frames", () => b.frames.length === 2 && laptop.frames.length === 2);
        assert.deepEqual(b.frames, [new Uint8Array([2]), new Uint8Array([3])]);
        assert.deepEqual(laptop.frames, b.frames, "every connection of a member");
      }),
    );

    it(
      "unsubscribe stops delivery to that subscriber only",
      withPair(async (pair) => {
        const phone = recorder();
        const laptop = recorder();
        const unsubscribe = pair.subscriber.subscribe(alice, phone.target);
        pair.subscriber.subscribe(alice, laptop.target);
        unsubscribe();
        pair.publisher.publish([alice], new Uint8Array([4]));
        await settle(pair, alice, laptop);
        assert.deepEqual(laptop.frames, [new Uint8Array([4])]);
        assert.deepEqual(phone.frames, []);
      }),
    );
  });
}

busContract("MemoryBus", async () => {
  const bus = new MemoryBus();
  return { publisher: bus, subscriber: bus, close: async () => bus.close() };
});

const skip = skipUnlessCi(natsMissing());
let nats: Promise<NatsInstance> | undefined;
after(async () => await (await nats)?.stop());
let prefixes = 0;

/** Two nodes on one nats-server, on a subject prefix of their own. */
async function twoNodes(): Promise<[NatsBus, NatsBus]> {
  nats ??= NatsInstance.start();
  const server = await nats;
  const prefix = `contract${++prefixes}`;
  const a = await NatsBus.connect(server.url, { nodeId: "a", prefix });
  const b = await NatsBus.connect(server.url, { nodeId: "b", prefix });
  return [a, b];
}

describe("NATS", { skip }, () => {
  busContract("NatsBus", async () => {
    const [a, b] = await twoNodes();
    return {
      publisher: a,
      subscriber: b,
      async close() {
        a.close();
        b.close();
      },
    };
  });

  describe("NatsBus between nodes", () => {
    it("a node's subscribers get what it publishes once, not again from the bus", async () => {
      const [a, b] = await twoNodes();
      try {
        const here = recorder();
        const there = recorder();
        a.subscribe(alice, here.target);
        b.subscribe(alice, there.target);
        a.publish([alice], new Uint8Array([5]));
        await settle({ publisher: a, subscriber: b, close: async () => undefined }, alice, there);
        assert.deepEqual(there.frames, [new Uint8Array([5])]);
        assert.deepEqual(here.frames, [new Uint8Array([5]), marker], "local delivery once, plus the marker");
      } finally {
        a.close();
        b.close();
      }
    });

    it("tells the other nodes who is online, and that a group's members changed", async () => {
      const [a, b] = await twoNodes();
      try {
        const changed: GroupId[] = [];
        b.onMembersChanged((groupId) => changed.push(groupId));
        a.onMembersChanged(() => assert.fail("a node is not told of its own changes"));
        a.shareOnline(alice, true);
        a.shareMembersChanged("#lobby" as GroupId);
        await eventually("alice online on b", () => b.onlineElsewhere(alice));
        assert.equal(a.onlineElsewhere(alice), false, "a's own users are not elsewhere for a");
        assert.deepEqual([...b.namesOnlineElsewhere()], [alice]);
        await eventually("the members hint", () => changed.length === 1);
        assert.deepEqual(changed, ["#lobby"]);
        a.shareOnline(alice, false);
        await eventually("alice offline on b", () => !b.onlineElsewhere(alice));
      } finally {
        a.close();
        b.close();
      }
    });
  });
});
