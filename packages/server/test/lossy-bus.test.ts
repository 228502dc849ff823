/**
 * Two nodes' delivery code on one real PostgreSQL and one real nats-server, the receiving
 * node's bus dropping one frame in ten as it comes off NATS: every delivery still reaches the
 * member on the other node, once each, in seq order, while its connection stays up (the
 * node finds the seqs it was not told of in storage; see watchForMissedHints).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { GroupId, ServerFrame, UserName } from "@secure-chat/protocol";
import type { Bus, DeliveryTarget } from "../src/bus/bus.js";
import { deliverySeq } from "../src/bus/delivery-seq.js";
import { NatsBus } from "../src/bus/nats-bus.js";
import { defaultServerConfig } from "../src/config.js";
import { createContext, type ServerContext } from "../src/context.js";
import { fanOut, startDelivery, watchForMissedHints } from "../src/services/delivery.js";
import { PgStorage } from "../src/storage/pg-storage.js";
import { recordingConnection, silentLog } from "./fakes.js";
import { NatsInstance, natsMissing } from "./nats-instance.js";
import { PostgresInstance, postgresMissing } from "./postgres-instance.js";
import { skipUnlessCi } from "./throwaway-service.js";

const skip = skipUnlessCi(postgresMissing() ?? natsMissing());

/**
 * A node's bus that loses every `every`-th frame arriving for its subscribers, before this node
 * learns of its seq: as if NATS had never delivered it.
 */
class LossyBus implements Bus {
  readonly crossNode = true;
  private arrived = 0;
  private heard = 0;
  dropped = 0;

  constructor(
    private readonly inner: NatsBus,
    private readonly every: number,
  ) {}

  get announcedSeq(): number {
    return this.heard;
  }

  subscribe(name: UserName, target: DeliveryTarget): () => void {
    return this.inner.subscribe(name, {
      send: (frame) => {
        const seq = deliverySeq(frame);
        if (seq !== undefined && ++this.arrived % this.every === 0) {
          this.dropped++;
          return;
        }
        if (seq !== undefined) this.heard = Math.max(this.heard, seq);
        target.send(frame);
      },
    });
  }

  publish(recipients: readonly UserName[], frame: Uint8Array): void {
    this.inner.publish(recipients, frame);
  }
  publishToGroup(members: ReadonlySet<UserName>, frame: Uint8Array, except?: UserName): void {
    this.inner.publishToGroup(members, frame, except);
  }
  shareOnline(name: UserName, online: boolean): void {
    this.inner.shareOnline(name, online);
  }
  onlineElsewhere(name: UserName): boolean {
    return this.inner.onlineElsewhere(name);
  }
  namesOnlineElsewhere(): Iterable<UserName> {
    return this.inner.namesOnlineElsewhere();
  }
  shareMembersChanged(groupId: GroupId): void {
    this.inner.shareMembersChanged(groupId);
  }
  onMembersChanged(listener: (groupId: GroupId) => void): void {
    this.inner.onMembersChanged(listener);
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }
  close(): void {
    this.inner.close();
  }
}

describe("a node of several whose bus drops frames", { skip }, () => {
  const services: { stop(): Promise<void> }[] = [];
  after(async () => {
    for (const service of services) await service.stop();
  });

  it("still delivers every message to a member on another node, once each, in order, without a reconnect", async () => {
    const postgres = await PostgresInstance.start();
    services.push(postgres);
    const nats = await NatsInstance.start();
    services.push(nats);
    const url = await postgres.createDatabase("lossy");
    const alice = "alice" as UserName;
    const bob = "bob" as UserName;
    const lobby = "#lobby" as GroupId;

    const open = async (nodeId: string, bus: (inner: NatsBus) => Bus): Promise<ServerContext> => {
      const storage = await PgStorage.open(url);
      const inner = await NatsBus.connect(nats.url, { nodeId, prefix: "lossy" });
      return createContext(defaultServerConfig, storage, bus(inner), silentLog);
    };
    const nodeA = await open("a", (inner) => inner);
    let lossy: LossyBus | undefined;
    const nodeB = await open("b", (inner) => (lossy = new LossyBus(inner, 10)));
    const watcher = watchForMissedHints(nodeB, 50);
    try {
      for (const [index, name] of [alice, bob].entries()) {
        await nodeA.storage.registerUser(name, new Uint8Array(32).fill(index));
      }
      await nodeA.storage.createGroup(lobby, "open", alice, undefined);
      const join = await nodeA.storage.acceptCommit({
        groupId: lobby,
        epoch: 0,
        sender: bob,
        senderJoins: true,
        commit: new Uint8Array([0]),
        groupInfo: undefined,
        welcome: undefined,
        added: [],
        removed: [],
        serverTs: 0,
      });
      assert.ok(join.kind === "accepted");

      // bob is connected to node b and caught up.
      const { connection, received } = recordingConnection(bob);
      await startDelivery(nodeB, connection, bob);
      await until(() => received.some((frame) => frame.type === "synced"));

      // alice's node stores messages one at a time and fans each out, as the send handler does;
      // each waits for the one before to arrive, so no later frame can make up for a lost one.
      const members = new Set([alice, bob]);
      const sent: number[] = [];
      const deliveredSeqs = (): number[] =>
        received.flatMap((frame: ServerFrame) =>
          frame.type === "deliver" && frame.seq > join.commit.seq ? [frame.seq] : [],
        );
      for (let i = 0; i < 200; i++) {
        const previous = sent.at(-1);
        if (previous !== undefined) await until(() => deliveredSeqs().includes(previous));
        const [result] = await nodeA.storage.appendMessages([
          { groupId: lobby, sender: alice, payload: new Uint8Array([i]), serverTs: i },
        ]);
        assert.ok(result !== undefined);
        sent.push(result.delivery.seq);
        fanOut(nodeA, members, result.delivery, alice);
      }
      await until(() => deliveredSeqs().length >= sent.length);
      assert.ok((lossy?.dropped ?? 0) >= 15, `the bus dropped frames (${lossy?.dropped})`);
      assert.deepEqual(deliveredSeqs(), sent, "each once, in seq order");
      assert.equal(connection.state.phase, "ready", "no reconnect");
    } finally {
      watcher.stop();
      for (const node of [nodeA, nodeB]) {
        node.bus.close();
        await node.storage.close();
      }
    }
  });
});

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
