import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseUserName, type UserName } from "@secure-chat/protocol";
import type { DeliveryTarget } from "../src/bus/bus.js";
import { MemoryBus } from "../src/bus/memory-bus.js";

function user(value: string): UserName {
  const name = parseUserName(value);
  if (name === undefined) throw new Error(`bad test user name ${value}`);
  return name;
}

const alice = user("alice");
const bob = user("bob");
const carol = user("carol");

/** A delivery target that records what it was given. */
function recorder(): { frames: Uint8Array[]; target: DeliveryTarget } {
  const frames: Uint8Array[] = [];
  return { frames, target: { send: (frame) => frames.push(frame) } };
}

const frameA = new Uint8Array([1, 74, 0, 1]);
const frameB = new Uint8Array([1, 75, 9]);

describe("MemoryBus", () => {
  it("delivers a published frame to the subscriber of each recipient, as the same bytes", () => {
    const bus = new MemoryBus();
    const a = recorder();
    const b = recorder();
    const c = recorder();
    bus.subscribe(alice, a.target);
    bus.subscribe(bob, b.target);
    bus.subscribe(carol, c.target);
    bus.publish([alice, bob], frameA);
    assert.equal(a.frames.length, 1);
    assert.equal(a.frames[0], frameA, "the very frame that was published");
    assert.deepEqual(b.frames, [frameA]);
    assert.deepEqual(c.frames, [], "a name that is not a recipient gets nothing");
    bus.publish([carol], frameB);
    assert.deepEqual(a.frames, [frameA]);
    assert.deepEqual(c.frames, [frameB]);
  });

  it("delivers in publish order", () => {
    const bus = new MemoryBus();
    const a = recorder();
    bus.subscribe(alice, a.target);
    bus.publish([alice], frameA);
    bus.publish([alice], frameB);
    bus.publish([bob, alice], frameA);
    assert.deepEqual(a.frames, [frameA, frameB, frameA]);
  });

  it("delivers to every subscriber of a name (one per connection)", () => {
    const bus = new MemoryBus();
    const phone = recorder();
    const laptop = recorder();
    const tablet = recorder();
    bus.subscribe(alice, phone.target);
    bus.subscribe(alice, laptop.target);
    bus.subscribe(alice, tablet.target);
    bus.publish([alice], frameA);
    for (const connection of [phone, laptop, tablet]) assert.deepEqual(connection.frames, [frameA]);
  });

  it("unsubscribe stops delivery to that subscriber only", () => {
    const bus = new MemoryBus();
    const phone = recorder();
    const laptop = recorder();
    const unsubscribePhone = bus.subscribe(alice, phone.target);
    bus.subscribe(alice, laptop.target);
    const unsubscribeBob = bus.subscribe(bob, recorder().target);
    bus.publish([alice], frameA);
    unsubscribePhone();
    bus.publish([alice], frameB);
    assert.deepEqual(phone.frames, [frameA]);
    assert.deepEqual(laptop.frames, [frameA, frameB]);
    unsubscribeBob();
    bus.publish([bob], frameA); // nobody left for bob: a no-op
  });

  it("a name can subscribe again after its last subscriber left", () => {
    const bus = new MemoryBus();
    const first = recorder();
    bus.subscribe(alice, first.target)();
    bus.publish([alice], frameA);
    assert.deepEqual(first.frames, []);
    const second = recorder();
    bus.subscribe(alice, second.target);
    bus.publish([alice], frameB);
    assert.deepEqual(second.frames, [frameB]);
    assert.deepEqual(first.frames, []);
  });

  it("calling an unsubscribe function twice does not affect other subscribers", () => {
    const bus = new MemoryBus();
    const phone = recorder();
    const laptop = recorder();
    const unsubscribePhone = bus.subscribe(alice, phone.target);
    bus.subscribe(alice, laptop.target);
    unsubscribePhone();
    unsubscribePhone();
    bus.publish([alice], frameA);
    assert.deepEqual(laptop.frames, [frameA]);
  });

  it("a stale unsubscribe, called again after the name re-subscribed, does not drop the new subscriber", () => {
    const bus = new MemoryBus();
    const oldConnection = recorder();
    const newConnection = recorder();
    const unsubscribeOld = bus.subscribe(alice, oldConnection.target);
    unsubscribeOld();
    bus.subscribe(alice, newConnection.target);
    unsubscribeOld(); // e.g. a close handler that runs twice
    bus.publish([alice], frameA);
    assert.deepEqual(newConnection.frames, [frameA]);
  });

  it("a subscriber that unsubscribes itself while a frame is delivered does not disturb the others", () => {
    const bus = new MemoryBus();
    const other = recorder();
    const seen: Uint8Array[] = [];
    const unsubscribe = bus.subscribe(alice, {
      send: (frame) => {
        seen.push(frame);
        unsubscribe();
      },
    });
    bus.subscribe(alice, other.target);
    bus.publish([alice], frameA);
    bus.publish([alice], frameB);
    assert.deepEqual(seen, [frameA]);
    assert.deepEqual(other.frames, [frameA, frameB]);
  });

  it("publishing to names without subscribers, or to nobody, is a no-op", () => {
    const bus = new MemoryBus();
    const a = recorder();
    assert.doesNotThrow(() => bus.publish([bob, carol], frameA));
    assert.doesNotThrow(() => bus.publish([], frameA));
    bus.subscribe(alice, a.target);
    bus.publish([bob, alice, carol], frameB);
    assert.deepEqual(a.frames, [frameB], "unknown names in the list do not stop delivery to known ones");
  });

  it("publishToGroup reaches every connection of every member except the sender's, and follows subscriptions", () => {
    const bus = new MemoryBus();
    const members: ReadonlySet<UserName> = new Set([alice, bob, carol]);
    const alicePhone = recorder();
    const aliceLaptop = recorder();
    const b = recorder();
    const c = recorder();
    bus.subscribe(alice, alicePhone.target);
    bus.subscribe(alice, aliceLaptop.target);
    const unsubscribeBob = bus.subscribe(bob, b.target);
    bus.publishToGroup(members, frameA, bob);
    assert.deepEqual(alicePhone.frames, [frameA]);
    assert.deepEqual(aliceLaptop.frames, [frameA]);
    assert.deepEqual(b.frames, [], "the sender is skipped");
    // The same set again, after subscriptions changed: the bus must not reuse whom it reached.
    bus.subscribe(carol, c.target);
    unsubscribeBob();
    bus.publishToGroup(members, frameB);
    assert.deepEqual(c.frames, [frameB], "a member who connected since is reached");
    assert.deepEqual(b.frames, [], "a member who disconnected is not");
    assert.deepEqual(alicePhone.frames, [frameA, frameB]);
    const outsider = recorder();
    bus.subscribe(user("dave"), outsider.target);
    bus.publishToGroup(members, frameA);
    assert.deepEqual(outsider.frames, [], "a subscriber outside the set gets nothing");
    bus.publishToGroup(new Set([alice, user("dave")]), frameB);
    assert.deepEqual(outsider.frames, [frameB], "a new member set is resolved anew");
  });

  it("close drops every subscription", () => {
    const bus = new MemoryBus();
    const a = recorder();
    const b = recorder();
    bus.subscribe(alice, a.target);
    bus.subscribe(bob, b.target);
    const both = new Set([alice, bob]);
    bus.publishToGroup(both, frameB);
    bus.close();
    bus.publish([alice, bob], frameA);
    bus.publishToGroup(both, frameA);
    assert.deepEqual(a.frames, [frameB]);
    assert.deepEqual(b.frames, [frameB]);
  });

  it("ping settles while the bus is open and rejects once it is closed", async () => {
    const bus = new MemoryBus();
    await bus.ping();
    bus.close();
    await assert.rejects(bus.ping(), /closed/);
  });
});
