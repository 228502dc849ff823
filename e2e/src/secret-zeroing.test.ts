/**
 * SECURITY.md, "Consumed secrets": whatever ts-mls reports as consumed when sending, receiving
 * or committing is zeroed, for a commit of our own once the server has accepted it. Real
 * clients run in this process, so their memory can be read, against a real server process.
 * After each operation, the group state a client held before it must have secrets that are now
 * all zeros (ts-mls's consumed secrets are, or include, secrets of that older state: the
 * message ratchet's secret, the old epoch's init secret), and none of them may still be part of
 * the state the client holds afterwards (zeroing a live secret would break the group).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ClientState } from "ts-mls";
import type { ChatClient, ChatEvent } from "@secure-chat/client";
import { byteArrays } from "@secure-chat/client/testing";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { ServerProcess, inProcessClient, until } from "./harness.js";

/** The group states a client holds (private to ChatClient; read here on purpose). */
function stateOf(client: ChatClient, groupId: GroupId): ClientState {
  const groups = (client as unknown as { groups: Map<GroupId, { state?: ClientState; pending?: ClientState }> }).groups;
  const slot = groups.get(groupId);
  if (slot?.state === undefined) throw new Error(`${client.name} is not in ${groupId}`);
  if (slot.pending !== undefined) throw new Error(`${client.name} has a commit pending in ${groupId}`);
  return slot.state;
}

/** Runs `commit`, waits until `client` is in the next epoch of `groupId`, and checks what it zeroed. */
async function assertEpochChangeZeroed(
  what: string,
  client: ChatClient,
  groupId: GroupId,
  commit: () => Promise<void>,
): Promise<void> {
  const before = stateOf(client, groupId);
  const watched = watch(before);
  await commit();
  await until(
    `${client.name} in the next epoch (${what})`,
    () => epochOf(client, groupId) > before.groupContext.epoch || undefined,
  );
  assertConsumedZeroed(what, watched, stateOf(client, groupId));
}

/** The epoch of a client's current state in a group; -1 while its own commit there is pending. */
function epochOf(client: ChatClient, groupId: GroupId): bigint {
  try {
    return stateOf(client, groupId).groupContext.epoch;
  } catch {
    return -1n;
  }
}

const allZero = (bytes: Uint8Array): boolean => bytes.length > 0 && bytes.every((byte) => byte === 0);

/** The non-zero byte arrays of a state now; `zeroed()` lists those that are all zeros since. */
function watch(state: ClientState): { zeroed(): Uint8Array[] } {
  const nonZero = [...byteArrays(state)].filter((bytes) => bytes.length > 0 && !allZero(bytes));
  return { zeroed: () => nonZero.filter(allZero) };
}

/**
 * The byte arrays of a state that the client may still read. ts-mls keeps each past epoch's
 * secret tree for late messages, including the ratchets of our own leaf, with which nothing
 * is ever decrypted (no one receives their own messages): so the handshake secret a commit of
 * ours consumed stays referenced there. Our own leaf's node in those past trees is left out.
 */
function liveBytes(state: ClientState): Set<Uint8Array> {
  const ownNode = 2 * state.privatePath.leafIndex;
  const history = new Map(
    [...state.historicalReceiverData].map(([epoch, data]) => [
      epoch,
      { ...data, secretTree: data.secretTree.filter((_, node) => node !== ownNode) },
    ]),
  );
  return byteArrays({ ...state, historicalReceiverData: history });
}

/** Asserts what the operation zeroed: something, and nothing the client still uses. */
function assertConsumedZeroed(what: string, watched: { zeroed(): Uint8Array[] }, current: ClientState): void {
  const zeroed = watched.zeroed();
  assert.ok(zeroed.length > 0, `${what}: no secret of the state before it was zeroed`);
  const live = liveBytes(current);
  assert.equal(zeroed.filter((bytes) => live.has(bytes)).length, 0, `${what}: a secret still in use was zeroed`);
}

describe("consumed MLS secrets are zeroed (SECURITY.md)", () => {
  let server: ServerProcess;
  const clients: ChatClient[] = [];
  const events = new Map<UserName, ChatEvent[]>();

  async function startClient(name: string): Promise<ChatClient> {
    const client = inProcessClient(name, server.url, { reconnect: false });
    const seen: ChatEvent[] = [];
    events.set(client.name, seen);
    client.on((event) => seen.push(event));
    clients.push(client);
    await client.start();
    return client;
  }

  before(async () => {
    server = await ServerProcess.start();
  });
  after(async () => {
    for (const client of clients) await client.close();
    await server.kill();
  });

  it("when sending, receiving, committing (once accepted) and processing another member's commit", async () => {
    const alice = await startClient("alice");
    const bob = await startClient("bob");
    const lobby = alice.resolveRoom("#lobby");
    assert.ok(lobby !== undefined);
    await until(
      "alice to see bob in the lobby",
      () => alice.who(lobby).some((member) => member.name === bob.name) || undefined,
    );

    // A message: alice's sending ratchet, and bob's receiving one.
    const aliceBeforeSend = watch(stateOf(alice, lobby));
    const bobBeforeReceive = watch(stateOf(bob, lobby));
    await alice.send(lobby, "hello"); // into the outbox: encrypted and sent after this returns
    await until("the server to store alice's message", () => alice.outboxEmpty || undefined);
    assertConsumedZeroed("sending", aliceBeforeSend, stateOf(alice, lobby));
    await until(
      "bob to receive the message",
      () =>
        (events.get(bob.name) ?? []).some((event) => event.type === "message" && event.text === "hello") || undefined,
    );
    assertConsumedZeroed("receiving", bobBeforeReceive, stateOf(bob, lobby));

    // Our own commit: alice adds bob to a room of hers; zeroed once the server has accepted it.
    const den = "+den" as GroupId;
    await alice.join(den);
    await assertEpochChangeZeroed("committing", alice, den, () => alice.invite(den, bob.name));

    // Another member's commit: bob adds carol; alice processes it. (Joins by external commit,
    // as into the lobby, consume a fresh secret of the joiner's and nothing of the members'.)
    const carol = await startClient("carol");
    await until("bob to be in the room", () => bob.joinedRooms().includes(den) || undefined);
    await assertEpochChangeZeroed("processing another member's commit", alice, den, () => bob.invite(den, carol.name));
  });
});
