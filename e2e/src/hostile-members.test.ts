/**
 * Hostile users speaking valid MLS (SECURITY.md, "Room policy"): a non-member whose external
 * commit's GroupInfo leaves others out, and a member who proposes someone else's removal for an honest
 * member to commit. Victims are real `secure-chat` processes on a real server; the attacker is a
 * client of the library in this process, so it can send what the honest client never would.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createGroupInfoWithExternalPubAndRatchetTree,
  createProposal,
  decodeMlsMessage,
  encodeMlsMessage,
  type CiphersuiteImpl,
  type ClientState,
  type MLSMessage,
  type RatchetTree,
} from "ts-mls";
import { addLeafNode, removeLeafNode } from "ts-mls/ratchetTree.js";
import { treeHashRoot } from "ts-mls/treeHash.js";
import { toLeafIndex } from "ts-mls/treemath.js";
import { errorCode, loadCipherSuite, type ChatClient } from "@secure-chat/client";
import { cipherSuites, type GroupId } from "@secure-chat/protocol";
import { attacker } from "./attacker.js";
import { ChatProcess, ServerProcess, inProcessClient, tempDir, uniqueMarker } from "./harness.js";

const dev = "#dev" as GroupId;

/** The leaf index of `name`'s leaf in `tree`. */
function leafOf(tree: RatchetTree, name: string): number {
  const node = tree.findIndex(
    (n) =>
      n?.nodeType === "leaf" &&
      n.leaf.credential.credentialType === "basic" &&
      new TextDecoder().decode(n.leaf.credential.identity) === name,
  );
  assert.ok(node >= 0 && node % 2 === 0, `${name} has a leaf`);
  return node / 2;
}

describe("hostile members and non-members", () => {
  let server: ServerProcess;
  let alice: ChatProcess;
  let bob: ChatProcess;
  let mallory: ChatClient;
  let impl: CiphersuiteImpl;

  before(async () => {
    server = await ServerProcess.start({ args: ["--suite", "x25519"] });
    impl = await loadCipherSuite(cipherSuites.x25519);
    alice = await ChatProcess.start("alice", server.url, tempDir("alice"));
    bob = await ChatProcess.start("bob", server.url, tempDir("bob"));
    await alice.command("/join #dev", "info");
    await bob.command("/join #dev", "info");
    await alice.waitFor("bob in #dev", (e) => e.type === "member" && e.room === "#dev" && e.name === "bob");
    mallory = inProcessClient("mallory", server.url);
    await mallory.start();
  });

  after(async () => {
    await mallory?.close();
    await Promise.all([alice, bob].map((c) => c?.kill()));
    await server?.kill();
  });

  /** alice says something in #dev and bob shows it: both are still members who can talk. */
  async function stillTalking(what: string): Promise<void> {
    const text = uniqueMarker(what);
    alice.send(`/join #dev`);
    alice.send(text);
    await bob.waitFor(
      `${what}: alice's message in #dev`,
      (e) => e.type === "message" && e.room === "#dev" && e.text === text,
    );
  }

  it("refuses a non-member's external commit whose next GroupInfo leaves members out; nobody's membership ends", async () => {
    const mal = attacker(mallory);
    const join = await mal.engine.prepareExternalJoin(dev, await mal.groupInfo(dev));
    const joined = (join as unknown as { pending: ClientState }).pending;
    // The joiner's own next state with alice's and bob's leaves cut out, hashed and signed anew:
    // a GroupInfo the joiner could make, whose tree says the commit removed them.
    let tree = joined.ratchetTree;
    for (const name of ["alice", "bob"]) tree = removeLeafNode(tree, toLeafIndex(leafOf(tree, name)));
    const forged = {
      ...joined,
      ratchetTree: tree,
      groupContext: { ...joined.groupContext, treeHash: await treeHashRoot(tree, impl.hash) },
    };
    const groupInfo = encodeMlsMessage({
      groupInfo: await createGroupInfoWithExternalPubAndRatchetTree(forged, [], impl),
      wireformat: "mls_group_info",
      version: "mls10",
    });
    assert.equal(await mal.refusal({ ...join.frame, groupInfo }), "BAD_MLS");
    mal.engine.lost(dev, joined);
    await stillTalking("after the external commit");
  });

  it("refuses a new room whose first GroupInfo holds a member who never joined: the tree must hold its creator alone", async () => {
    const mal = attacker(mallory);
    const fake = "#fake-members" as GroupId;
    const made = await mal.engine.newGroup(fake);
    // alice's leaf from a KeyPackage the server hands out: validly signed by alice, and not bound
    // to any group, so only the one-leaf rule tells this tree from a real one.
    const claimed = (await mal.request({ type: "claim_key_package", rid: 0, name: "alice" }, "key_package")) as {
      keyPackage: Uint8Array;
    };
    const decoded = decodeMlsMessage(claimed.keyPackage, 0)?.[0];
    assert.ok(decoded?.wireformat === "mls_key_package");
    const [tree] = addLeafNode(made.state.ratchetTree, decoded.keyPackage.leafNode);
    const forged = {
      ...made.state,
      ratchetTree: tree,
      groupContext: { ...made.state.groupContext, treeHash: await treeHashRoot(tree, impl.hash) },
    };
    const groupInfo = encodeMlsMessage({
      groupInfo: await createGroupInfoWithExternalPubAndRatchetTree(forged, [], impl),
      wireformat: "mls_group_info",
      version: "mls10",
    });
    const refused = await mal
      .request({ type: "create_group", rid: 0, groupId: fake, groupInfo }, "ok")
      .then(() => undefined, errorCode);
    assert.equal(refused, "BAD_MLS");
    const honest = await mal.request({ type: "create_group", rid: 0, groupId: fake, groupInfo: made.groupInfo }, "ok");
    assert.equal((honest as { type: string }).type, "ok", "the same room with the creator alone is created");
  });

  it("refuses a member's proposal to remove someone else: nobody commits it, everyone is told who proposed it", async () => {
    await mallory.join(dev);
    await alice.waitFor("mallory in #dev", (e) => e.type === "member" && e.room === "#dev" && e.name === "mallory");
    await bob.waitFor("mallory in #dev", (e) => e.type === "member" && e.room === "#dev" && e.name === "mallory");
    const aliceFrom = alice.events.length;
    const bobFrom = bob.events.length;
    const mal = attacker(mallory);
    const state = mal.engine.table.current(dev);
    const proposal = await createProposal(
      state,
      false,
      { proposalType: "remove", remove: { removed: leafOf(state.ratchetTree, "alice") } },
      impl,
    );
    const message = encodeMlsMessage(proposal.message as MLSMessage);
    const sendId = crypto.getRandomValues(new Uint8Array(16));
    await mal.request({ type: "send", rid: 0, groupId: dev, sendId, message }, "accepted");

    for (const [who, from] of [
      [alice, aliceFrom],
      [bob, bobFrom],
    ] as const) {
      const refused = await who.waitFor(
        "the refused proposal",
        (e) => e.type === "error" && e.code === "BAD_MLS",
        from,
      );
      assert.match(String(refused.message), /mallory proposed a change to #dev/);
    }
    // Give an honest commit the chance the laundering needed: bob changes the room.
    const bobChanged = bob.events.length;
    bob.send("/join #dev");
    bob.send("/kick mallory");
    await bob.waitFor(
      "mallory removed",
      (e) => e.type === "member" && e.name === "mallory" && e.change === "removed",
      bobChanged,
    );
    assert.equal(
      [...alice.events, ...bob.events].filter((e) => e.type === "member" && e.name === "alice").length,
      0,
      "alice was never removed (nor shown as leaving)",
    );
    await stillTalking("after the proposal");
  });

  it("refuses a commit that adds nobody but carries a 1 MiB Welcome (one frame must not become stored Welcomes)", async () => {
    const mal = attacker(mallory);
    const prepared = await mal.engine.prepareCommit("#lobby" as GroupId, () => ({ proposals: [] }));
    assert.ok(typeof prepared !== "string");
    const welcome = new Uint8Array(1024 * 1024).fill(7);
    assert.equal(await mal.refusal({ ...prepared.frame, welcome }), "BAD_MLS");
    mal.engine.lost("#lobby" as GroupId, prepared.pending);
  });
});
