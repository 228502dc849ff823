import type { CiphersuiteImpl, ClientConfig } from "ts-mls";
import { accountOf, type UserName } from "@secure-chat/protocol";
import type { ClientKeyDirectory } from "./directory/key-directory.js";
import { KeyPackageStock } from "./directory/key-package-stock.js";
import { GroupEngine } from "./engine/group-engine.js";
import type { FollowUp } from "./engine/incoming.js";
import type { ChatEvent } from "./events.js";
import type { Identity } from "./identity.js";
import type { Link } from "./link/link.js";
import type { Timers } from "./link/timers.js";
import { OutboxPump } from "./outbox/outbox-pump.js";
import type { Outages } from "./outages.js";
import { CommitCoordinator } from "./rooms/commit-coordinator.js";
import { Rooms } from "./rooms/rooms.js";
import type { SerialQueue } from "./serial-queue.js";
import type { ClientStore } from "./store/store.js";
import { DeliveryStream } from "./sync/delivery-stream.js";
import { EphemeralNotices, type NoticeSettings } from "./sync/ephemeral-notices.js";

/** What every part shares: made by the facade before the first login. */
export interface SharedParts {
  /** Our member name: the account's for its first device, `account.N` for a linked one. */
  self: UserName;
  identity: Identity;
  config: ClientConfig;
  /** The store behind the write guard: a failed write halts the delivery stream. */
  store: ClientStore;
  queue: SerialQueue;
  timers: Timers;
  outages: Outages;
  link: Link;
  directory: ClientKeyDirectory;
  notices: NoticeSettings;
  now(): number;
  emit(event: ChatEvent): void;
  followUp(work: FollowUp): void;
}

/** The parts that need the cipher suite, which the server names in its first challenge. */
export interface SuiteParts {
  cipherSuite: string;
  engine: GroupEngine;
  stream: DeliveryStream;
  outbox: OutboxPump;
  notices: EphemeralNotices;
  rooms: Rooms;
  stock: KeyPackageStock;
}

/** Builds the suite's parts and loads the saved groups, cursor and outbox into them. */
export async function buildSuiteParts(
  shared: SharedParts,
  cipherSuite: string,
  impl: CiphersuiteImpl,
): Promise<SuiteParts> {
  const { self, identity, config, store, queue, timers, outages, link, directory, now, emit } = shared;
  const connection = () => link.connection();
  const engine = new GroupEngine({ self, identity, impl, config, now });
  const stream = new DeliveryStream({
    engine,
    store,
    queue,
    timers,
    outages,
    emit,
    followUp: (work) => shared.followUp(work),
    postAck: (seq) => {
      // Also while catching up; with no link, the next login starts from the server's cursor.
      if (link.loggedIn) connection().post({ type: "ack", seq });
    },
  });
  // Our messages are our account's, whichever device sends them; rooms are named by accounts.
  const account = accountOf(self);
  const outbox = new OutboxPump({
    self: account,
    store,
    engine,
    queue,
    stream,
    outages,
    timers,
    now,
    isLive: () => link.isLive,
    connection,
    emit,
  });
  const notices = new EphemeralNotices({
    self: account,
    engine,
    store,
    queue,
    settings: shared.notices,
    now,
    timers,
    isLive: () => link.isLive,
    connection,
    emit,
  });
  const commits = new CommitCoordinator({ engine, store, queue, timers, connection });
  const rooms = new Rooms({
    self: account,
    engine,
    commits,
    directory,
    config,
    store,
    queue,
    timers,
    now,
    connection,
    emit,
  });
  const stock = new KeyPackageStock(identity, () => impl, store, connection, now);
  await queue.run(() => stream.reload());
  await outbox.load();
  return { cipherSuite, engine, stream, outbox, notices, rooms, stock };
}
