/**
 * The MLS engine on its own: real ts-mls, no server, no store, no timers. Each test plays the
 * server by hand, handing the frames one engine prepares to the others as deliveries.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createProposal } from "ts-mls";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { addPlan } from "../src/engine/commit-plans.js";
import { encodeMessage, newKeyPackage, ownLeafIndex } from "../src/engine/mls/groups.js";
import { lifetimeProblem } from "../src/engine/policy.js";
import { errorCode } from "../src/errors.js";
import { byteArrays } from "./byte-arrays.js";
import {
  DAY,
  Member,
  NOW,
  created,
  impl,
  keyPackageValid,
  lobby,
  names,
  nowSeconds,
  pair,
  say,
  textPlaintext,
  team,
  trustAll,
  update,
} from "./engine-members.js";

describe("group engine", () => {
  it("settles its own commit when the server delivers it back, and the Welcome lets the new member in", async () => {
    const alice = new Member("alice" as UserName);
    const bob = new Member("bob" as UserName);
    await created(alice, team);
    const prepared = await alice.engine.prepareCommit(team, addPlan(bob.name, await bob.freshKeyPackage()));
    assert.ok(typeof prepared !== "string");
    assert.ok(prepared.changes.groups?.[0]?.pending !== null, "the pending state is saved before the commit leaves");
    assert.equal(await alice.engine.prepareCommit(team, update), "busy", "one commit in flight per group");

    const accepted = await alice.receive(team, "commit", prepared.frame.commit, "alice");
    assert.deepEqual(names(accepted.events), ["bob joined by alice"]);
    assert.equal(alice.engine.table.slot(team)?.pending, undefined);
    assert.equal(alice.epoch(team), 1n);

    const welcomed = await bob.receive(team, "welcome", prepared.frame.welcome, "alice");
    assert.deepEqual(names(welcomed.events), ["room joined"]);
    assert.equal(welcomed.events[0]?.type === "room" && welcomed.events[0].by, "alice");
    assert.deepEqual(welcomed.changes.removeKeyPackage, bob.keyPackages[0]?.ref, "the spent KeyPackage is deleted");
    assert.deepEqual(welcomed.followUps, [{ kind: "refill_key_packages" }]);
    assert.equal(bob.epoch(team), 1n);

    const heard = await say(alice, bob, team, "hello bob");
    assert.equal(
      heard.events[0]?.type === "message" && `${heard.events[0].from}: ${heard.events[0].text}`,
      "alice: hello bob",
    );
  });

  it("drops its own commit when a concurrent one wins the epoch, and follows the winner", async () => {
    const { alice, bob } = await pair();
    const ours = await alice.engine.prepareCommit(team, update);
    const theirs = await bob.engine.prepareCommit(team, update);
    assert.ok(typeof ours !== "string" && typeof theirs !== "string");
    // The server takes bob's: both receive it, and alice's is refused with STALE_EPOCH.
    await bob.receive(team, "commit", theirs.frame.commit, "bob");
    await alice.receive(team, "commit", theirs.frame.commit, "bob");
    assert.equal(alice.engine.table.slot(team)?.pending, undefined, "the losing commit is gone");
    assert.equal(alice.engine.lost(team, ours.pending), undefined, "nothing left to undo");
    assert.equal(alice.epoch(team), 2n);
    assert.equal(bob.epoch(team), 2n);
    const heard = await say(alice, bob, team, "still here");
    assert.equal(heard.events[0]?.type, "message", "both are in the same epoch");
  });

  it("goes back to the current state when its commit is refused before anything else arrives", async () => {
    const { alice } = await pair();
    const ours = await alice.engine.prepareCommit(team, update);
    assert.ok(typeof ours !== "string");
    const changes = alice.engine.lost(team, ours.pending);
    assert.deepEqual(changes?.groups?.[0]?.pending, null);
    assert.equal(alice.engine.table.slot(team)?.pending, undefined);
    assert.equal(alice.epoch(team), 1n);
  });

  it("joins an open room by external commit, which the members accept", async () => {
    const alice = new Member("alice" as UserName);
    const carol = new Member("carol" as UserName);
    const groupInfo = await created(alice, lobby);
    const join = await carol.engine.prepareExternalJoin(lobby, groupInfo);
    assert.equal(carol.engine.table.joined().length, 0, "not in until the server accepts");
    const seen = await alice.receive(lobby, "commit", join.frame.commit, "carol");
    assert.deepEqual(names(seen.events), ["carol joined by carol"]);
    const own = await carol.receive(lobby, "commit", join.frame.commit, "carol");
    assert.deepEqual(names(own.events), ["room joined"]);
    assert.equal(carol.epoch(lobby), 1n);
    assert.ok(join.frame.groupInfo.length > 0, "an open room's commit publishes the next GroupInfo");
    const heard = await say(alice, carol, lobby, "welcome carol");
    assert.equal(heard.events[0]?.type, "message");
  });

  it("refuses to join an open room from the GroupInfo of another group", async () => {
    const alice = new Member("alice" as UserName);
    const carol = new Member("carol" as UserName);
    const groupInfo = await created(alice, lobby);
    const elsewhere = "#elsewhere" as GroupId;
    await assert.rejects(carol.engine.prepareExternalJoin(elsewhere, groupInfo), (error: unknown) => {
      return errorCode(error) === "BAD_MLS" && /is of another group/.test(String(error));
    });
    assert.equal(carol.engine.table.slot(elsewhere), undefined, "nothing is held for it");
  });

  it("refuses an external join into an invite-only room", async () => {
    const alice = new Member("alice" as UserName);
    const mallory = new Member("mallory" as UserName);
    const groupInfo = await created(alice, team);
    const join = await mallory.engine.prepareExternalJoin(team, groupInfo);
    const seen = await alice.receive(team, "commit", join.frame.commit, "mallory");
    assert.deepEqual(names(seen.events), ["error"]);
    assert.deepEqual(
      alice.engine.table.members(team).map((m) => m.name),
      ["alice"],
    );
    assert.equal(alice.epoch(team), 0n);
  });

  it("commits a member's leave proposal; the others see them leave", async () => {
    const { alice, bob } = await pair();
    const proposal = await bob.engine.prepareLeave(team);
    const asked = await alice.receive(team, "message", proposal, "bob");
    assert.deepEqual(asked.followUps, [{ kind: "complete_leaves", groupId: team }]);
    const left = bob.engine.left(team);
    assert.deepEqual(names(left.events), ["room left"]);
    assert.equal(bob.engine.table.slot(team), undefined);

    const commit = await alice.engine.prepareCommit(team, alice.engine.leavesPlan(team));
    assert.ok(typeof commit !== "string");
    const done = await alice.receive(team, "commit", commit.frame.commit, "alice");
    assert.deepEqual(names(done.events), ["bob left by alice"]);
    assert.deepEqual(
      alice.engine.table.members(team).map((m) => m.name),
      ["alice"],
    );
    assert.equal(await alice.engine.prepareCommit(team, alice.engine.leavesPlan(team)), "nothing");
  });

  it("refuses a proposal to remove someone else (only a commit may do that)", async () => {
    const { alice, bob } = await pair();
    const hostile = await createProposal(
      bob.state(team),
      false,
      { proposalType: "remove", remove: { removed: ownLeafIndex(alice.state(team)) } },
      impl,
    );
    const seen = await alice.receive(team, "message", encodeMessage(hostile.message), "bob");
    assert.equal(seen.events[0]?.type === "error" && seen.events[0].code, "BAD_MLS");
    assert.deepEqual(seen.followUps, [], "nobody is asked to commit it");
    assert.deepEqual(Object.keys(alice.state(team).unappliedProposals), [], "not kept for the next commit");
    assert.equal(await alice.engine.prepareCommit(team, alice.engine.leavesPlan(team)), "nothing");
  });

  it("skips a replayed message and a second message with an id already shown", async () => {
    const { alice, bob } = await pair();
    const once = textPlaintext(alice.name, team, "once");
    const { ciphertext } = await alice.engine.encrypt(team, once);
    const first = await bob.receive(team, "message", ciphertext, "alice");
    assert.deepEqual(names(first.events), ["message"]);
    assert.ok(first.changes.cursor !== undefined, "a processed delivery moves the cursor");
    const replay = await bob.receive(team, "message", ciphertext, "alice");
    assert.equal(replay.changes.cursor, undefined, "a refused one does not (its seq is the server's word)");
    assert.equal(
      replay.events.filter((e) => e.type === "message").length,
      0,
      "a replayed ciphertext is not shown again",
    );
    // The same content in a new MLS message (a new generation): its id, a hash of it, is the same.
    const again = await alice.engine.encrypt(team, once);
    const sameId = await bob.receive(team, "message", again.ciphertext, "alice");
    assert.deepEqual(sameId.events, [], "a message id already in the history is not shown again");
    assert.equal(sameId.changes.messages, undefined);
    const next = await say(alice, bob, team, "new");
    assert.deepEqual(names(next.events), ["message"], "the stream goes on");
  });

  it("zeroes the secrets ts-mls reports consumed, sending and receiving, and no live one", async () => {
    const { alice, bob } = await pair();
    // The first message of an epoch derives the sender's ratchets; the second consumes theirs.
    await say(alice, bob, team, "warm-up");
    const watched = [alice, bob].map((who) => {
      const before = who.state(team);
      return { who, copies: new Map([...byteArrays(before)].map((bytes) => [bytes, bytes.slice()])) };
    });
    await say(alice, bob, team, "zero"); // alice encrypts, bob decrypts
    for (const { who, copies } of watched) {
      const changed = [...copies].filter(([bytes, copy]) => !bytes.every((b, i) => b === copy[i]));
      assert.ok(changed.length > 0, `${who.name}: some secret of the old state was zeroed`);
      for (const [bytes] of changed)
        assert.ok(
          bytes.every((b) => b === 0),
          `${who.name}: changed means zeroed`,
        );
      const live = byteArrays(who.state(team));
      assert.ok(
        changed.every(([bytes]) => !live.has(bytes)),
        `${who.name}: nothing the new state uses was zeroed`,
      );
    }
  });

  it("refuses a member added with a KeyPackage valid for 10 years: members refuse the commit, the Welcome is refused", async () => {
    const { alice, bob } = await pair();
    const dave = new Member("dave" as UserName);
    const { publicPackage: decade } = await keyPackageValid(dave, nowSeconds - DAY, nowSeconds + 3650n * DAY);
    const prepared = await alice.engine.prepareCommit(team, addPlan(dave.name, decade));
    assert.ok(typeof prepared !== "string");
    const seen = await bob.receive(team, "commit", prepared.frame.commit, "alice");
    assert.equal(seen.events[0]?.type, "error", "bob refuses the commit");
    assert.equal(bob.epoch(team), 1n, "and stays where he was");
    const welcomed = await dave.receive(team, "welcome", prepared.frame.welcome, "alice");
    const refusal = welcomed.events[0];
    assert.match(
      refusal?.type === "error" ? refusal.message : "",
      /dave: its KeyPackage is valid for 3651 days, more than the 90/,
    );
    assert.deepEqual(dave.engine.table.joined(), [], "dave did not join");
  });

  it("refuses to join an open room by external commit whose tree holds a leaf valid for 10 years", async () => {
    const alice = new Member("alice" as UserName);
    const dave = new Member("dave" as UserName);
    const carol = new Member("carol" as UserName);
    await created(alice, lobby);
    const { publicPackage: decade } = await keyPackageValid(dave, nowSeconds - DAY, nowSeconds + 3650n * DAY);
    const prepared = await alice.engine.prepareCommit(lobby, addPlan(dave.name, decade));
    assert.ok(typeof prepared !== "string");
    await alice.receive(lobby, "commit", prepared.frame.commit, "alice");
    await assert.rejects(
      carol.engine.prepareExternalJoin(lobby, prepared.frame.groupInfo),
      (error: unknown) =>
        errorCode(error) === "BAD_MLS" && /dave: its KeyPackage is valid for 3651 days/.test(String(error)),
    );
    assert.deepEqual(carol.engine.table.joined(), []);
  });

  it("judges KeyPackage lifetimes: too long, expired and not yet valid are refused; ours pass", async () => {
    const max = trustAll.lifetimeConfig.maximumTotalLifetime;
    const dave = new Member("dave" as UserName);
    const leaf = async (from: bigint, to: bigint) => (await keyPackageValid(dave, from, to)).publicPackage.leafNode;
    assert.match(lifetimeProblem(await leaf(nowSeconds - DAY, nowSeconds + 3650n * DAY), max, NOW) ?? "", /3651 days/);
    assert.match(
      lifetimeProblem(await leaf(nowSeconds - 10n * DAY, nowSeconds - DAY), max, NOW) ?? "",
      /not valid now/,
    );
    assert.match(
      lifetimeProblem(await leaf(nowSeconds + DAY, nowSeconds + 10n * DAY), max, NOW) ?? "",
      /not valid now/,
    );
    const ours = (await newKeyPackage(dave.identity, impl, false, NOW)).publicPackage.leafNode;
    assert.equal(lifetimeProblem(ours, max, NOW), undefined);
  });

  it("keeps an accepted commit's consumed secrets until the verdict, then zeroes them", async () => {
    const { alice } = await pair();
    const before = alice.state(team);
    const prepared = await alice.engine.prepareCommit(team, update);
    assert.ok(typeof prepared !== "string");
    const consumed = alice.engine.table.slot(team)?.pendingConsumed ?? [];
    assert.ok(consumed.length > 0);
    assert.ok(
      consumed.some((bytes) => bytes.some((b) => b !== 0)),
      "still intact while the commit may lose (the current state needs them)",
    );
    assert.ok(alice.state(team) === before);
    await alice.receive(team, "commit", prepared.frame.commit, "alice");
    assert.ok(
      consumed.every((bytes) => bytes.every((b) => b === 0)),
      "zeroed once accepted",
    );
  });
});

describe("group engine, a delivery's kind label against its MLS content", () => {
  it("refuses a fresh message labelled a commit, and shows it when it comes labelled right", async () => {
    const { alice, bob } = await pair();
    const { ciphertext } = await alice.engine.encrypt(team, textPlaintext(alice.name, team, "hello"));
    const mislabelled = await bob.receive(team, "commit", ciphertext, "alice");
    assert.deepEqual(names(mislabelled.events), ["error"]);
    assert.deepEqual(mislabelled.changes, {});
    const right = await bob.receive(team, "message", ciphertext, "alice");
    assert.deepEqual(names(right.events), ["message"]);
  });

  it("refuses a fresh commit labelled a message, and applies it when it comes labelled right", async () => {
    const { alice, bob } = await pair();
    const prepared = await alice.engine.prepareCommit(team, update);
    assert.ok(typeof prepared !== "string");
    const mislabelled = await bob.receive(team, "message", prepared.frame.commit, "alice");
    assert.deepEqual(names(mislabelled.events), ["error"]);
    assert.deepEqual(mislabelled.changes, {});
    assert.deepEqual(mislabelled.followUps, [], "alice is not taken to be leaving");
    assert.equal(bob.epoch(team), 1n);
    const right = await bob.receive(team, "commit", prepared.frame.commit, "alice");
    assert.equal(right.changes.groups?.length, 1);
    assert.equal(bob.epoch(team), 2n);
  });
});
