/**
 * No member can wedge or fork a conversation (SECURITY.md, "Commits the server checks"):
 * mallory, a member of `+team`, `#open` and a private conversation with alice, sends commits
 * honest members could not process. Alice and bob are real `secure-chat` processes on a real
 * server; mallory is a client of the library in this process, so it can send what the honest
 * client never would. In every case the honest members end in the same epoch, still talk, and
 * can remove mallory, whose saved state then reads nothing more.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createGroupInfoWithExternalPubAndRatchetTree,
  decodeGroupState,
  encodeGroupState,
  encodeMlsMessage,
  type CiphersuiteImpl,
  type ClientState,
} from "ts-mls";
import { clientConfig, decodeMessage, loadCipherSuite, type ChatClient, type ChatEvent } from "@secure-chat/client";
import { cipherSuites, directGroupId, type GroupId, type UserName } from "@secure-chat/protocol";
import { attacker, brokenPathCommit, flipLastByte, garbageCommit, spoiledWelcome } from "./attacker.js";
import {
  ChatProcess,
  ServerProcess,
  inProcessClient,
  tempDir,
  uniqueMarker,
  until,
  type JsonEvent,
} from "./harness.js";
import { decryptWith, serverMessages } from "./server-log.js";

const team = "+team" as GroupId;
const crew = "+crew" as GroupId;
const open = "#open" as GroupId;
const direct = directGroupId("alice" as UserName, "mallory" as UserName);

describe("a member who sends commits nobody can process", () => {
  let server: ServerProcess;
  let alice: ChatProcess;
  let bob: ChatProcess;
  let mallory: ChatClient;
  let impl: CiphersuiteImpl;
  const malloryEvents: ChatEvent[] = [];

  before(async () => {
    server = await ServerProcess.start({ args: ["--suite", "x25519"] });
    impl = await loadCipherSuite(cipherSuites.x25519);
    alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
    bob = await ChatProcess.start("bob", server.url, tempDir("bob"));
    mallory = inProcessClient("mallory", server.url);
    mallory.on((event) => malloryEvents.push(event));
    await mallory.start();
    await alice.command("/join +team", "info");
    for (const [name, joined] of [
      ["bob", () => bob.waitFor("bob in +team", (e) => e.type === "room" && e.room === team && e.change === "joined")],
      ["mallory", () => until("mallory in +team", () => mallory.joinedRooms().includes(team) || undefined)],
    ] as const) {
      alice.send(`/invite ${name}`);
      await joined();
    }
    for (const member of [alice, bob]) await member.command("/join #open", "info");
    await mallory.join(open);
    await mallory.sendPrivate("alice" as UserName, "hi alice");
    await alice.waitFor("mallory's private message", (e) => e.type === "message" && e.text === "hi alice");
  });

  after(async () => {
    await mallory?.close();
    await Promise.all([alice, bob].map((c) => c?.kill()));
    await server?.kill();
  });

  const epochOf = (groupId: GroupId): bigint => attacker(mallory).engine.table.current(groupId).groupContext.epoch;

  /** `from` says something in `groupId` and `to` shows it. */
  async function talks(from: ChatProcess, to: ChatProcess, groupId: GroupId, label: string, what: string) {
    const text = uniqueMarker(what);
    from.send(`/join ${groupId === direct ? "@mallory" : groupId}`);
    from.send(text);
    await to.waitFor(
      `${what}: ${from.name}'s message`,
      (e) => e.type === "message" && e.room === label && e.text === text,
    );
  }

  it("refuses a garbage commit behind a valid PrivateMessage header, in every kind of group", async () => {
    const mal = attacker(mallory);
    for (const groupId of [team, open, direct]) {
      assert.equal(await mal.refusal(garbageCommit(groupId, epochOf(groupId))), "BAD_MLS", groupId);
    }
    await talks(alice, bob, team, "+team", "after the garbage commit");
  });

  it("refuses a commit whose next GroupInfo is another room's", async () => {
    const mal = attacker(mallory);
    const prepared = await mal.engine.prepareCommit(team, () => ({ proposals: [] }));
    assert.ok(typeof prepared !== "string");
    const groupInfo = await mal.groupInfo(open);
    assert.equal(await mal.refusal({ ...prepared.frame, groupInfo }), "BAD_MLS");
    mal.engine.lost(team, prepared.pending);
  });

  for (const [groupId, label, peer] of [
    [team, "+team", "bob"],
    [open, "#open", "bob"],
    [direct, "@mallory", undefined],
  ] as const) {
    it(`recovers from a signed commit whose path secrets nobody can decrypt, in ${groupId}`, async () => {
      const mal = attacker(mallory);
      const honest = peer === undefined ? [alice] : [alice, bob];
      const from = honest.map((member) => member.events.length);
      const frame = await brokenPathCommit(groupId, mal.engine.table.current(groupId), impl);
      assert.equal(await mal.refusal(frame), undefined, "the server can't tell: it accepts the commit");
      for (const [i, member] of honest.entries()) {
        const told = await member.waitFor(
          "told who sent the bad commit",
          (e) =>
            e.type === "error" && e.code === "BAD_MLS" && String(e.message).includes(`mallory's commit to ${groupId}`),
          from[i],
        );
        assert.match(String(told.message), /rejoining/);
        await member.waitFor(
          "rejoined",
          (e) =>
            e.type === "room" &&
            e.room === (member === alice && groupId === direct ? "@mallory" : label) &&
            e.change === "rejoined",
          from[i],
        );
      }
      if (peer === undefined) {
        // mallory's own client can't follow the commit either (it never held it as pending): it rejoins too.
        await until(
          "mallory rejoined",
          () =>
            malloryEvents.some((e) => e.type === "room" && e.groupId === direct && e.change === "rejoined") ||
            undefined,
        );
        const text = uniqueMarker("after the rejoin");
        alice.send(`/msg mallory ${text}`);
        await until("mallory reads alice", () =>
          malloryEvents.some((e) => e.type === "message" && e.text === text) ? true : undefined,
        );
        return;
      }
      await talks(alice, bob, groupId, label, "alice after the rejoin");
      await talks(bob, alice, groupId, label, "bob after the rejoin");
    });
  }

  it("recovers from a Welcome that matches its commit's KeyPackages but can't be used: the invitee rejoins", async () => {
    const mal = attacker(mallory);
    await mallory.join(crew);
    await mallory.invite(crew, "bob" as UserName);
    await bob.waitFor("bob in +crew", (e) => e.type === "room" && e.room === "+crew" && e.change === "joined");
    const from = alice.events.length;
    const { keyPackage } = (await mal.request({ type: "claim_key_package", rid: 0, name: "alice" }, "key_package")) as {
      keyPackage: Uint8Array;
    };
    const message = decodeMessage(keyPackage);
    assert.ok(message?.wireformat === "mls_key_package");
    const add = { proposalType: "add", add: { keyPackage: message.keyPackage } };
    const prepared = await mal.engine.prepareCommit(crew, () => ({ proposals: [add] }));
    assert.ok(typeof prepared !== "string");
    const welcome = spoiledWelcome(prepared.frame.welcome);
    assert.equal(await mal.refusal({ ...prepared.frame, welcome }), undefined, "the server can't tell");
    const told = await alice.waitFor(
      "the unusable Welcome",
      (e) => e.type === "error" && String(e.message).includes("welcome"),
      from,
    );
    assert.match(String(told.message), /\+crew/);
    await alice.waitFor("rejoined", (e) => e.type === "room" && e.room === "+crew" && e.change === "rejoined", from);
    await talks(alice, bob, crew, "+crew", "alice after rejoining +crew");
    await talks(bob, alice, crew, "+crew", "bob after alice rejoined +crew");
  });

  it("recovers from a signed commit whose path secrets only some members can't decrypt", async () => {
    const mal = attacker(mallory);
    const state = mal.engine.table.current(crew);
    const bobLeaf = state.ratchetTree.find(
      (node) =>
        node?.nodeType === "leaf" &&
        node.leaf.credential.credentialType === "basic" &&
        new TextDecoder().decode(node.leaf.credential.identity) === "bob",
    );
    assert.ok(bobLeaf?.nodeType === "leaf");
    const from = [alice.events.length, bob.events.length];
    const frame = await brokenPathCommit(crew, state, impl, [bobLeaf.leaf.hpkePublicKey]);
    assert.equal(await mal.refusal(frame), undefined, "the server can't tell: it accepts the commit");
    await bob.waitFor("rejoined", (e) => e.type === "room" && e.room === "+crew" && e.change === "rejoined", from[1]);
    await talks(bob, alice, crew, "+crew", "bob after his rejoin");
    await talks(alice, bob, crew, "+crew", "alice after bob's rejoin");
    assert.ok(
      !alice.events.slice(from[0]).some((e) => e.type === "room" && e.change === "rejoined"),
      "alice could process the commit: she did not need to rejoin",
    );
  });

  it("recovers from a non-member's external commit with a flipped confirmation tag and a GroupInfo made to match it", async () => {
    const eve = inProcessClient("eve", server.url);
    await eve.start();
    try {
      const evil = attacker(eve);
      const join = await evil.engine.prepareExternalJoin(open, await evil.groupInfo(open));
      const joined = (join as unknown as { pending: ClientState }).pending;
      // The tag is outside the commit's signature; eve signs a GroupInfo that carries the same flipped tag.
      const confirmationTag = flipLastByte(joined.confirmationTag);
      const message = decodeMessage(join.frame.commit);
      assert.ok(message?.wireformat === "mls_public_message" && message.publicMessage.auth.contentType === "commit");
      const commit = encodeMlsMessage({
        ...message,
        publicMessage: { ...message.publicMessage, auth: { ...message.publicMessage.auth, confirmationTag } },
      });
      const groupInfo = encodeMlsMessage({
        groupInfo: await createGroupInfoWithExternalPubAndRatchetTree({ ...joined, confirmationTag }, [], impl),
        wireformat: "mls_group_info",
        version: "mls10",
      });
      const from = [alice.events.length, bob.events.length];
      assert.equal(await evil.refusal({ ...join.frame, commit, groupInfo }), undefined, "the server can't tell");
      for (const [i, member] of [alice, bob].entries()) {
        await member.waitFor(
          "rejoined",
          (e) => e.type === "room" && e.room === "#open" && e.change === "rejoined" && e.by === "eve",
          from[i],
        );
      }
      await talks(alice, bob, open, "#open", "alice after eve's commit");
      await talks(bob, alice, open, "#open", "bob after eve's commit");
    } finally {
      await eve.close();
    }
  });

  it("can still remove mallory, whose saved state reads nothing sent after", async () => {
    for (const [groupId, label] of [
      [team, "+team"],
      [open, "#open"],
      [crew, "+crew"],
    ] as const) {
      const saved = encodeGroupState(attacker(mallory).engine.table.current(groupId));
      const from = bob.events.length;
      alice.send(`/join ${groupId}`);
      alice.send("/kick mallory");
      await bob.waitFor(
        "mallory removed",
        (e: JsonEvent) => e.type === "member" && e.room === label && e.name === "mallory" && e.change === "removed",
        from,
      );
      const marker = uniqueMarker(`after the kick in ${groupId}`);
      alice.send(marker);
      await bob.waitFor("the post-kick message", (e) => e.type === "message" && e.text === marker);
      const log = serverMessages(server.dataDir, groupId);
      const kick = log.map((m) => m.kind).lastIndexOf(1);
      const later = log.slice(kick + 1).filter((m) => m.kind === 0);
      assert.ok(later.length > 0, "the post-kick message is in the server's log");
      const state = {
        ...decodeGroupState(saved, 0)![0],
        clientConfig: clientConfig({ validateCredential: async () => true }),
      };
      for (const message of later) {
        await assert.rejects(
          decryptWith(state, decodeMessage(new Uint8Array(message.payload))!, impl),
          `mallory's saved state decrypted a message sent in ${groupId} after the kick`,
        );
      }
    }
  });
});
