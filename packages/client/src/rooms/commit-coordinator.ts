import type { ClientState } from "ts-mls";
import type { GroupId } from "@secure-chat/protocol";
import type { Planner } from "../engine/commit-plans.js";
import type { CommitFrame, GroupEngine, PreparedCommit } from "../engine/group-engine.js";
import { ClientError, errorCode } from "../errors.js";
import type { RpcConnection } from "../link/rpc.js";
import { sleep, type Timers } from "../link/timers.js";
import type { SerialQueue } from "../serial-queue.js";
import type { ClientStore } from "../store/store.js";

const MAX_COMMIT_ATTEMPTS = 10;

export interface CommitCoordinatorOptions {
  engine: GroupEngine;
  store: ClientStore;
  queue: SerialQueue;
  timers: Timers;
  connection(): RpcConnection;
}

/**
 * Gets our commits accepted. The server accepts one commit per epoch: on STALE_EPOCH we drop
 * ours, let the queue process the winner (already delivered), and plan again from the new state.
 */
export class CommitCoordinator {
  constructor(private readonly options: CommitCoordinatorOptions) {}

  /** Commits `plan` in `groupId`, retrying lost races; resolves once accepted, or when there was nothing to do. */
  async commit(groupId: GroupId, plan: Planner): Promise<"committed" | "nothing"> {
    const { engine, queue, store, timers } = this.options;
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const prepared = await queue.run(async () => {
        const result = await engine.prepareCommit(groupId, plan);
        if (typeof result !== "string") await store.apply(result.changes);
        return result;
      });
      if (prepared === "nothing") return "nothing";
      if (prepared === "busy") {
        await sleep(timers, 50 + timers.random() * 100);
        continue;
      }
      if (await this.submit(groupId, prepared)) return "committed";
    }
    throw new ClientError("SERVER_ERROR", `could not get a change to ${groupId} accepted; try again`);
  }

  /** Prepares (inside the queue, saved before it leaves) and submits a join-like commit once. */
  async submitPrepared(groupId: GroupId, prepare: () => Promise<PreparedCommit>): Promise<boolean> {
    const prepared = await this.options.queue.run(async () => {
      const result = await prepare();
      await this.options.store.apply(result.changes);
      return result;
    });
    return this.submit(groupId, prepared);
  }

  /** Sends a prepared commit. True when accepted, false when another commit won the epoch. */
  private async submit(groupId: GroupId, prepared: { frame: CommitFrame; pending: ClientState }): Promise<boolean> {
    const { engine, queue, store, timers } = this.options;
    try {
      // Our commit was delivered to us before the answer; once the queue reaches the answer, it is applied.
      await this.options.connection().requestThen(prepared.frame, "accepted", () => queue.idle());
      return true;
    } catch (error) {
      if (errorCode(error) === "DISCONNECTED") throw error; // pending stays until the resync tells
      await queue.run(async () => {
        const changes = engine.lost(groupId, prepared.pending);
        if (changes !== undefined) await store.apply(changes);
      });
      if (errorCode(error) !== "STALE_EPOCH") throw error;
      await sleep(timers, timers.random() * 50);
      return false;
    }
  }
}
