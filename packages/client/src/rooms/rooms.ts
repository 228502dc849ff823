import type { ClientConfig } from "ts-mls";
import { accountOf, directGroupId, roomKind, SendIds, type GroupId, type UserName } from "@secure-chat/protocol";
import type { ClientKeyDirectory } from "../directory/key-directory.js";
import { addPlan, refreshPlan, removeAccountPlan, removePlan } from "../engine/commit-plans.js";
import { lifetimeProblem } from "../engine/policy.js";
import type { GroupEngine } from "../engine/group-engine.js";
import type { Received } from "../engine/incoming.js";
import { decodeMessage, members } from "../engine/mls/groups.js";
import { ClientError, errorCode, errorMessage } from "../errors.js";
import type { ChatEvent } from "../events.js";
import { sameKey } from "../identity.js";
import type { RpcConnection } from "../link/rpc.js";
import { sleep, type Timers } from "../link/timers.js";
import type { SerialQueue } from "../serial-queue.js";
import type { ClientStore } from "../store/store.js";
import type { CommitCoordinator } from "./commit-coordinator.js";

const MAX_JOIN_ATTEMPTS = 10;
const LOBBY = "#lobby" as GroupId;

/** A failure of ts-mls (not ours, which carry a code) as BAD_MLS: it refused what the server gave us. */
function refusedByMls(what: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof ClientError) throw error;
    throw new ClientError("BAD_MLS", `${what}: ${errorMessage(error)}`);
  };
}

export interface RoomsOptions {
  self: UserName;
  engine: GroupEngine;
  commits: CommitCoordinator;
  directory: ClientKeyDirectory;
  config: ClientConfig;
  store: ClientStore;
  queue: SerialQueue;
  timers: Timers;
  now(): number;
  connection(): RpcConnection;
  emit(event: ChatEvent): void;
}

/** Rooms and private conversations: join, create, leave, invite, kick, and the commits they need. */
export class Rooms {
  private readonly sendIds = new SendIds();
  private readonly rejoining = new Set<GroupId>();

  constructor(private readonly options: RoomsOptions) {}

  private isIn(groupId: GroupId): boolean {
    return this.options.engine.table.slot(groupId)?.state !== undefined;
  }

  /** Saves what the engine changed, then tells the user (inside the queue). */
  private async settle(received: Received): Promise<void> {
    await this.options.store.apply(received.changes);
    for (const event of received.events) this.options.emit(event);
  }

  /** Joins an open room (creating it if new) or creates an invite-only room. */
  async join(groupId: GroupId): Promise<void> {
    for (let attempt = 0; attempt < MAX_JOIN_ATTEMPTS; attempt++) {
      if (this.isIn(groupId)) return;
      let groupInfo: Uint8Array;
      try {
        groupInfo = await this.groupInfo(groupId);
      } catch (error) {
        if (errorCode(error) === "NO_SUCH_GROUP") {
          if (await this.create(groupId)) return;
          continue;
        }
        if (errorCode(error) === "INVITE_ONLY") {
          throw new ClientError("INVITE_ONLY", `${groupId} is invite-only: ask a member to /invite you`);
        }
        throw error;
      }
      if (await this.joinFrom(groupId, groupInfo)) return;
    }
    throw new ClientError("SERVER_ERROR", `could not join ${groupId}; try again`);
  }

  /**
   * Rejoins a group we could not follow (a commit or Welcome we could not process) by external
   * commit from the server's GroupInfo, replacing our leaf, so that one bad commit can't leave
   * us stuck. Said as a `room` event; a failure as an error.
   */
  async rejoin(groupId: GroupId, by: UserName, commit?: Uint8Array): Promise<void> {
    if (this.rejoining.has(groupId)) return;
    this.rejoining.add(groupId);
    try {
      for (let attempt = 0; attempt < MAX_JOIN_ATTEMPTS; attempt++) {
        const groupInfo = await this.groupInfo(groupId);
        if (!(await this.options.engine.isBehind(groupId, groupInfo, commit))) return;
        if (await this.joinFrom(groupId, groupInfo)) {
          this.options.emit({ type: "room", groupId, change: "rejoined", by });
          return;
        }
      }
      throw new ClientError("SERVER_ERROR", "the group kept moving on; try /join again");
    } catch (error) {
      this.options.emit({
        type: "error",
        code: errorCode(error),
        message: `could not rejoin ${groupId}: ${errorMessage(error)}`,
      });
    } finally {
      this.rejoining.delete(groupId);
    }
  }

  private async groupInfo(groupId: GroupId): Promise<Uint8Array> {
    const answer = await this.options.connection().request({ type: "get_group_info", rid: 0, groupId }, "group_info");
    return answer.groupInfo;
  }

  /** One external commit from `groupInfo`: true once accepted, false if another commit won the epoch. */
  private joinFrom(groupId: GroupId, groupInfo: Uint8Array): Promise<boolean> {
    // ts-mls refusing it (a bad signature, a broken tree) means the server's GroupInfo is unusable.
    const join = () =>
      this.options.engine
        .prepareExternalJoin(groupId, groupInfo)
        .catch(refusedByMls(`${groupId} can't be joined from the GroupInfo the server has`));
    return this.options.commits.submitPrepared(groupId, join);
  }

  /** Creates a group at epoch 0. False if someone else created it first. */
  private async create(groupId: GroupId): Promise<boolean> {
    const { engine, queue } = this.options;
    const made = await queue.run(() => engine.newGroup(groupId));
    try {
      await this.options
        .connection()
        .request({ type: "create_group", rid: 0, groupId, groupInfo: made.groupInfo }, "ok");
    } catch (error) {
      if (errorCode(error) === "GROUP_EXISTS") return false;
      throw error;
    }
    await queue.run(() => this.settle(engine.adoptCreated(groupId, made.state)));
    return true;
  }

  /** Leaves a room: a self-remove proposal that the remaining members commit. */
  async leave(groupId: GroupId): Promise<void> {
    if (roomKind(groupId) === "direct") {
      throw new ClientError("BAD_ARGUMENT", "private conversations can't be left; just stop writing");
    }
    const { engine, queue } = this.options;
    const message = await queue.run(() => engine.prepareLeave(groupId));
    await this.options
      .connection()
      .requestThen({ type: "send", rid: 0, groupId, sendId: this.sendIds.next(), message }, "accepted", () =>
        queue.run(() => this.settle(engine.left(groupId))),
      );
  }

  /** Adds a user to a room we are in, with a KeyPackage claimed from the server. */
  async invite(groupId: GroupId, name: UserName): Promise<void> {
    if (roomKind(groupId) === "direct") throw new ClientError("BAD_ARGUMENT", "private conversations have two members");
    if (name === this.options.self) throw new ClientError("BAD_ARGUMENT", `you are in ${groupId} already`);
    if ((await this.addAccount(groupId, name)) === "nothing") {
      throw new ClientError("BAD_ARGUMENT", `${name} is in ${groupId} already`);
    }
  }

  /**
   * Adds `account` and each of its linked devices not in the group yet (every device is its own
   * leaf), but `skip` (our own device, when the account is ours).
   */
  private async addAccount(groupId: GroupId, account: UserName, skip?: UserName): Promise<"committed" | "nothing"> {
    let added: "committed" | "nothing" = "nothing";
    const devices = [account, ...(await this.options.directory.activeDevices(account))];
    for (const member of devices.filter((name) => name !== skip)) {
      // Checked before a KeyPackage of theirs is claimed (and spent) for nothing.
      const leaf = this.options.engine.table.members(groupId).find((m) => m.name === member);
      const current = leaf === undefined ? undefined : await this.options.directory.serverKey(member);
      if (leaf !== undefined && current !== undefined && sameKey(leaf.signaturePublicKey, current)) continue;
      if ((await this.addDeviceLeaf(groupId, member)) === "committed") added = "committed";
    }
    return added;
  }

  /** A linked device that never came online has no KeyPackage yet: it is added once it has (the account's device does that). */
  private async addDeviceLeaf(groupId: GroupId, member: UserName): Promise<"committed" | "nothing"> {
    try {
      return await this.addMember(groupId, member);
    } catch (error) {
      if (member === accountOf(member) || errorCode(error) !== "NO_KEY_PACKAGE") throw error;
      this.options.emit({
        type: "error",
        code: "NO_KEY_PACKAGE",
        message: `${member} was not added to ${groupId}: it has not been online yet`,
      });
      return "nothing";
    }
  }

  /**
   * Adds our newly linked `device` to every group we are in but #lobby (which it joins itself),
   * waiting for its first KeyPackages (it uploads them once it first logs in).
   */
  async addOwnDevice(device: UserName, attempts = 120): Promise<void> {
    for (const groupId of this.options.engine.table.joined()) {
      if (groupId === LOBBY) continue;
      for (let attempt = 1; ; attempt++) {
        if (this.options.engine.table.members(groupId).some((m) => m.name === device)) break;
        try {
          await this.addMember(groupId, device);
          break;
        } catch (error) {
          if (errorCode(error) !== "NO_KEY_PACKAGE" || attempt >= attempts) {
            this.options.emit({
              type: "error",
              code: errorCode(error),
              message: `could not add ${device} to ${groupId}: ${errorMessage(error)}`,
            });
            break;
          }
          await sleep(this.options.timers, 1_000);
        }
      }
    }
  }

  /** Removes a (revoked) device of ours from every group it is in: a commit per group. */
  async removeOwnDevice(device: UserName): Promise<void> {
    for (const groupId of this.options.engine.table.joined()) {
      if (!this.options.engine.table.members(groupId).some((m) => m.name === device)) continue;
      try {
        await this.options.commits.commit(groupId, removePlan(device));
      } catch (error) {
        this.options.emit({
          type: "error",
          code: errorCode(error),
          message: `could not remove ${device} from ${groupId}: ${errorMessage(error)}`,
        });
      }
    }
  }

  private async addMember(groupId: GroupId, name: UserName): Promise<"committed" | "nothing"> {
    this.options.directory.requireTrusted(name);
    const answer = await this.options.connection().request({ type: "claim_key_package", rid: 0, name }, "key_package");
    const message = decodeMessage(answer.keyPackage);
    if (message?.wireformat !== "mls_key_package") {
      throw new ClientError("SERVER_ERROR", "the server sent a bad KeyPackage");
    }
    const keyPackage = message.keyPackage;
    const { config, now } = this.options;
    const problem = lifetimeProblem(keyPackage.leafNode, config.lifetimeConfig.maximumTotalLifetime, now());
    if (problem !== undefined) throw new ClientError("BAD_MLS", `${name} can't be added: ${problem}`);
    const key = keyPackage.leafNode.signaturePublicKey;
    const current = (await this.options.directory.lookup(name, true))?.current;
    const valid =
      current !== undefined &&
      sameKey(current, key) &&
      (await this.options.config.authService.validateCredential(keyPackage.leafNode.credential, key));
    if (!valid) {
      throw new ClientError("UNTRUSTED_KEY", `${name}'s KeyPackage does not carry ${name}'s current key; not added`);
    }
    // ts-mls refusing it (a bad signature, another suite, keys a member has) means it is unusable.
    return this.options.commits
      .commit(groupId, addPlan(name, keyPackage))
      .catch(refusedByMls(`${name} can't be added with the KeyPackage the server has`));
  }

  /** Removes a member; their old state can't read anything after this commit. */
  async kick(groupId: GroupId, name: UserName): Promise<void> {
    if (roomKind(groupId) === "direct") throw new ClientError("BAD_ARGUMENT", "private conversations have two members");
    if (name === this.options.self) throw new ClientError("BAD_ARGUMENT", "use /leave to leave a room");
    if (!this.options.engine.table.members(groupId).some((m) => accountOf(m.name) === name)) {
      throw new ClientError("BAD_ARGUMENT", `${name} is not in ${groupId}`);
    }
    // Every device of theirs: one commit.
    await this.options.commits.commit(groupId, removeAccountPlan(name));
  }

  /** The private conversation with `peer`, started now if it does not exist yet. */
  async openPrivate(peer: UserName): Promise<GroupId> {
    if (peer === this.options.self) throw new ClientError("BAD_ARGUMENT", "you can't message yourself");
    const groupId = directGroupId(this.options.self, peer);
    if (!this.isIn(groupId)) await this.startDirect(groupId, peer);
    return groupId;
  }

  private async startDirect(groupId: GroupId, peer: UserName): Promise<void> {
    if ((await this.options.directory.serverKey(peer)) === undefined) {
      throw new ClientError("NO_SUCH_USER", `nobody is registered as ${peer}`);
    }
    if (!(await this.create(groupId))) {
      // The peer started it at the same moment: their Welcome is on its way.
      for (let i = 0; i < 100 && !this.isIn(groupId); i++) await sleep(this.options.timers, 100);
      if (!this.isIn(groupId)) {
        throw new ClientError("SERVER_ERROR", `the conversation with ${peer} exists but we hold no key for it`);
      }
      return;
    }
    await this.addAccount(groupId, peer);
    // Our other devices read it too (the first one as well, when we are a linked device).
    await this.addAccount(groupId, this.options.self, this.options.directory.self.name);
  }

  /** After a peer's key changed, re-adds their new device to our private conversation. */
  async renewDirect(peer: UserName): Promise<void> {
    const groupId = directGroupId(this.options.self, peer);
    const state = this.options.engine.table.slot(groupId)?.state;
    if (state === undefined) return;
    try {
      const current = await this.options.directory.serverKey(peer);
      const leaf = members(state).find((m) => m.name === peer);
      if (current === undefined || (leaf !== undefined && sameKey(leaf.signaturePublicKey, current))) return;
      await this.addMember(groupId, peer);
    } catch (error) {
      this.options.emit({
        type: "error",
        code: errorCode(error),
        message: `could not renew @${peer}: ${errorMessage(error)}`,
      });
    }
  }

  /**
   * Commits the leaves of members who asked to go. Members are spread out by leaf index so
   * usually one commits and the others find nothing left to do.
   */
  async completeLeaves(groupId: GroupId): Promise<void> {
    const { engine, timers } = this.options;
    await sleep(timers, Math.min(engine.table.rank(groupId), 20) * 100 + timers.random() * 100);
    try {
      await this.options.commits.commit(groupId, engine.leavesPlan(groupId));
    } catch (error) {
      this.options.emit({ type: "error", code: errorCode(error), message: errorMessage(error) });
    }
  }

  /** Update commits for groups where our leaf still comes from an aging KeyPackage (also heals keys: PCS). */
  async refreshAgingLeaves(): Promise<void> {
    for (const groupId of this.options.engine.agingLeaves()) {
      try {
        await this.options.commits.commit(groupId, refreshPlan(this.options.now));
      } catch (error) {
        this.options.emit({
          type: "error",
          code: errorCode(error),
          message: `could not refresh keys in ${groupId}: ${errorMessage(error)}`,
        });
      }
    }
  }
}
