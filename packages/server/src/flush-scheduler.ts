/** A socket's queue of outgoing frames, written by `flush`. */
export interface Flushable {
  flush(): void;
}

/** What the scheduler needs to know of the disk (the DurabilityGate). */
export interface SyncProgress {
  readonly syncing: boolean;
  /** Runs `callback` once the sync in flight has finished and its announcements have run. */
  whenSynced(callback: () => void): void;
}

/**
 * Decides when queued frames are written: at the end of the event-loop turn in which they were
 * queued, so a burst of frames to one socket costs one system call, with one exception. (Waiting
 * a fixed 1 ms more to gather frames gave the same fan-out but 1 ms more latency at 1,000 msg/s:
 * p50 2.7-2.8 vs 1.7-2.0 ms.)
 * Writes are the largest cost of a fan-out, and the deliveries of a send are announced when its
 * disk sync ends (see DurabilityGate); if another sync is in flight then, it will announce more
 * deliveries to the same sockets within a fraction of a millisecond. So deliveries wait for
 * that sync once (never twice in a row), and both bursts share one write per socket. Answers
 * never wait: a sender waiting for `accepted` sends its next message while the rest are written.
 * (Measured into 1,000 members, three A/B pairs: 16.0-16.6 socket writes per message instead of
 * 16.8-40, 2.12-2.45M deliveries/s instead of 1.47-2.14M; into 100 members 2.9 instead of 3.8
 * writes per message, deliveries/s within 3-7% either way.) Only the first turn of a pass
 * waits: the rest of it is written a turn at a time without waiting, and under sustained load
 * a pass may not end at all (the sockets written are queued again and join it), so then
 * deliveries no longer wait for syncs; that measured better than waiting (fix 23).
 */
export class FlushScheduler {
  /** Sockets with an answer queued: written first. Sets: a socket is listed once however often told. */
  private readonly answering = new Set<Flushable>();
  /** Sockets with frames queued, in the order they were first told. */
  private readonly dirty = new Set<Flushable>();
  private scheduled = false;
  /** "waiting": deliveries wait for the sync in flight; "released": it ended, write them next. */
  private hold: "none" | "waiting" | "released" = "none";

  /** Sockets written per turn in the pass under way; undefined when no pass is. */
  private perTurn: number | undefined;

  /**
   * A pass over the sockets waiting is spread over about `turnsPerPass` event-loop turns, at
   * least `minSocketsPerTurn` and at most `maxSocketsPerTurn` sockets each (at ~10-15 µs per
   * socket write, 250 sockets keep a turn under ~4 ms however large the pass): in between, the
   * server reads new messages and starts their disk sync while it still writes, and the sockets
   * written later take the frames that arrived meanwhile in the same write. (200 sockets per turn into 1,000 members, three A/B
   * pairs: 10-11 socket writes per message instead of 17-18, 2.16-2.79M deliveries/s instead of
   * 1.87-2.17M. Into 100 members, when a room of 100 still fit in one turn: 25 per turn gave
   * 1.68-1.85M instead of 1.46-1.60M, three pairs. A fixed 25 into 1,000 members doubled the
   * latency, p50 67-102 instead of 29-32 ms: hence a share of the pass rather than a count.)
   */
  constructor(
    private readonly disk: SyncProgress,
    private readonly minSocketsPerTurn = 25,
    private readonly turnsPerPass = 4,
    private readonly maxSocketsPerTurn = 250,
  ) {}

  /** `socket` has frames queued. */
  queued(socket: Flushable): void {
    this.dirty.add(socket);
    this.schedule();
  }

  /** `socket` has an answer queued: written at the end of this turn whatever the disk does. */
  answered(socket: Flushable): void {
    this.answering.add(socket);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    for (const socket of this.answering) {
      // Its whole queue goes out now, deliveries included: nothing left for its place in `dirty`.
      socket.flush();
      this.dirty.delete(socket);
    }
    this.answering.clear();
    if (this.dirty.size === 0) {
      this.endPass();
      return;
    }
    if (this.hold === "waiting") return;
    if (this.hold === "none" && this.disk.syncing) {
      this.hold = "waiting";
      this.disk.whenSynced(() => {
        this.hold = "released";
        this.schedule();
      });
      return;
    }
    this.hold = "none";
    // Sockets that join a pass under way may make its turns larger, never smaller.
    const perTurn = Math.min(
      this.maxSocketsPerTurn,
      Math.max(this.perTurn ?? 0, this.minSocketsPerTurn, Math.ceil(this.dirty.size / this.turnsPerPass)),
    );
    let written = 0;
    for (const socket of this.dirty) {
      if (written++ === perTurn) break;
      this.dirty.delete(socket);
      socket.flush();
    }
    if (this.dirty.size > 0) {
      // The rest is written next turn, without waiting for the disk again.
      this.perTurn = perTurn;
      this.hold = "released";
      this.schedule();
    } else {
      this.endPass();
    }
  }

  /** Nothing waits any more: the next burst starts a pass of its own (and may wait for a sync). */
  private endPass(): void {
    this.perTurn = undefined;
    if (this.hold === "released") this.hold = "none";
  }
}
