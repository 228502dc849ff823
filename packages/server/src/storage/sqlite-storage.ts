import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync, statSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import {
  deliveryKinds,
  nameSkeleton,
  roomSkeleton,
  type GroupId,
  type RoomKind,
  type UserName,
} from "@secure-chat/protocol";
import type {
  AddDeviceResult,
  AppendInput,
  AppendResult,
  CommitInput,
  CommitResult,
  CreateGroupResult,
  RegisterResult,
  ReserveRoomResult,
  Storage,
  StoredDelivery,
  StoredDevice,
  StoredGroup,
} from "./storage.js";
import { toStoredDevice, type DeviceRow } from "./device-row.js";
import { toDelivery, type MessageRow } from "./message-row.js";
import { StorageFullError } from "./storage.js";
import { BackgroundCheckpointer, type CheckpointerOptions } from "./wal-checkpointer.js";

/** See SqliteStorage: NORMAL, plus a log sync before anything is acknowledged. */
const SYNCHRONOUS = "NORMAL";
/** How acknowledged writes are made durable, in words (benchmark reports quote it). */
export const SQLITE_DURABILITY = `WAL, synchronous=${SYNCHRONOUS}, fdatasync of the log before every acknowledgement`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  public_key BLOB NOT NULL,
  cursor INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS retired_keys (
  name TEXT NOT NULL,
  public_key BLOB NOT NULL,
  retired_seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS retired_keys_by_name ON retired_keys(name);
-- Every name ever registered, released ones included (releaseName keeps the row), with its
-- nameSkeleton: a new name is refused when its skeleton is here under another name. Not unique:
-- look-alikes registered before this table existed keep their rows.
CREATE TABLE IF NOT EXISTS name_skeletons (
  name TEXT PRIMARY KEY,
  skeleton TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS name_skeletons_by_skeleton ON name_skeletons(skeleton);
CREATE TABLE IF NOT EXISTS key_packages (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL REFERENCES users(name),
  data BLOB NOT NULL,
  last_resort INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS key_packages_by_name ON key_packages(name, last_resort);
CREATE TABLE IF NOT EXISTS groups (
  group_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  group_info BLOB
);
-- The per-group total order: one accepted commit per (group, epoch).
CREATE TABLE IF NOT EXISTS commits (
  group_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (group_id, epoch)
);
CREATE TABLE IF NOT EXISTS memberships (
  group_id TEXT NOT NULL,
  name TEXT NOT NULL,
  joined_seq INTEGER NOT NULL,
  left_seq INTEGER
);
CREATE INDEX IF NOT EXISTS memberships_by_name ON memberships(name, group_id);
CREATE INDEX IF NOT EXISTS memberships_by_group ON memberships(group_id, left_seq);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id TEXT NOT NULL,
  recipient TEXT,
  sender TEXT NOT NULL,
  kind INTEGER NOT NULL,
  server_ts INTEGER NOT NULL,
  payload BLOB NOT NULL,
  send_id BLOB
);
-- No query used it (catch-up walks seq, see fetchSince), yet every message paid for it:
-- ~1.2 of ~9 µs per insert. Dropped from databases made before.
DROP INDEX IF EXISTS messages_by_group;
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_send_id ON messages(sender, send_id) WHERE send_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_recipient ON messages(recipient, seq) WHERE recipient IS NOT NULL;
-- Every #/+ room name in use or reserved, with its roomSkeleton: a new room is refused when
-- another name here has its skeleton. The operator's reservations set owner: only they may
-- create the room. A reclaimed room's row stays, so does its reservation.
CREATE TABLE IF NOT EXISTS room_names (
  group_id TEXT PRIMARY KEY,
  skeleton TEXT NOT NULL,
  owner TEXT
);
CREATE INDEX IF NOT EXISTS room_names_by_skeleton ON room_names(skeleton);
-- Linked devices (account.N): each also has a users row (its key, cursor, KeyPackages).
CREATE TABLE IF NOT EXISTS devices (
  name TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  certificate BLOB NOT NULL,
  revocation BLOB,
  last_seen INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS devices_by_account ON devices(account);
-- A Welcome is stored once however many members it adds: their delivery rows (payload empty)
-- point at it by messages.shared_payload. Ids grow with seq, so retention, which deletes a prefix
-- of the log, frees a prefix of this table too.
CREATE TABLE IF NOT EXISTS shared_payloads (
  id INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);
`;

/** Columns added after a table was first made: added to databases made before. */
function addMissingColumns(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('messages')").all();
  if (!columns.some((column) => column.name === "shared_payload")) {
    db.exec("ALTER TABLE messages ADD COLUMN shared_payload INTEGER");
  }
  db.exec(
    "CREATE INDEX IF NOT EXISTS messages_by_shared_payload ON messages(shared_payload) WHERE shared_payload IS NOT NULL",
  );
}

/**
 * SQLite adapter (the embedded default). WAL mode with synchronous=NORMAL: a transaction
 * writes its pages to the log but does not wait for the disk; `sync` then flushes the log
 * (fdatasync), which is exactly the step synchronous=FULL would have taken inside every
 * commit, blocking the event loop. Everything acknowledged waits for `sync`, so it survives
 * power loss just the same. Checkpoints (which sync the database file, as NORMAL does) run on
 * a thread of their own (see BackgroundCheckpointer).
 */
export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly statements;

  /** A descriptor of the write-ahead log, for `sync`. */
  private readonly wal: number;
  private syncsInFlight = 0;
  private closed = false;
  private readonly checkpoints: BackgroundCheckpointer;
  /** The database file as opened: `ping` tells when the path no longer leads to it. */
  private readonly opened: Stats;

  constructor(
    private readonly path: string,
    checkpoints: Partial<CheckpointerOptions> = {},
  ) {
    try {
      this.db = new Database(path);
      const mode = this.db.pragma("journal_mode = WAL", { simple: true });
      // `sync` flushes the write-ahead log: without one, acknowledged writes would not be durable.
      if (mode !== "wal") throw new Error(`${path} cannot use SQLite's WAL mode here (journal_mode=${String(mode)})`);
      this.db.pragma(`synchronous = ${SYNCHRONOUS}`);
      this.db.pragma("foreign_keys = ON");
      // One transaction, so a database can't be left with the skeleton table but not its rows.
      this.db.transaction(() => {
        const hasTable = (table: string) =>
          this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
        const keptSkeletons = hasTable("name_skeletons");
        const keptRoomNames = hasTable("room_names");
        this.db.exec(SCHEMA);
        addMissingColumns(this.db);
        if (!keptSkeletons) backfillSkeletons(this.db);
        if (!keptRoomNames) backfillRoomNames(this.db);
      })();
    } catch (error) {
      throw storageError(error);
    }
    // The log exists from here until the last connection closes; SQLite reuses it in place.
    this.wal = openSync(`${path}-wal`, "r");
    this.opened = statSync(path);
    // SQLite may just have created it: its directory entry must survive a power cut as well.
    const directory = openSync(dirname(path), "r");
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
    this.checkpoints = new BackgroundCheckpointer(path, this.db, checkpoints);
    const db = this.db;
    this.statements = {
      ping: db.prepare("SELECT 1"),
      userKey: db.prepare<[string], { public_key: Buffer }>("SELECT public_key FROM users WHERE name = ?"),
      insertUser: db.prepare(
        "INSERT INTO users (name, public_key, cursor) VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) FROM messages))",
      ),
      hadName: db.prepare<[string], { name: string }>("SELECT name FROM name_skeletons WHERE name = ?"),
      lookalike: db.prepare<[string, string], { name: string }>(
        "SELECT name FROM name_skeletons WHERE skeleton = ? AND name <> ? LIMIT 1",
      ),
      insertSkeleton: db.prepare("INSERT INTO name_skeletons (name, skeleton) VALUES (?, ?)"),
      roomName: db.prepare<[string], { owner: string | null }>("SELECT owner FROM room_names WHERE group_id = ?"),
      roomLookalike: db.prepare<[string, string], { group_id: string }>(
        "SELECT group_id FROM room_names WHERE skeleton = ? AND group_id <> ? LIMIT 1",
      ),
      insertRoomName: db.prepare("INSERT INTO room_names (group_id, skeleton) VALUES (?, ?)"),
      reserveRoomName: db.prepare(
        `INSERT INTO room_names (group_id, skeleton, owner) VALUES (?, ?, ?)
         ON CONFLICT (group_id) DO UPDATE SET owner = excluded.owner`,
      ),
      retiredKeys: db.prepare<[string], { public_key: Buffer }>(
        "SELECT public_key FROM retired_keys WHERE name = ? ORDER BY rowid",
      ),
      insertKeyPackage: db.prepare("INSERT INTO key_packages (name, data, last_resort) VALUES (?, ?, ?)"),
      deleteLastResort: db.prepare("DELETE FROM key_packages WHERE name = ? AND last_resort = 1"),
      takeKeyPackage: db.prepare<[string], { id: number; data: Buffer }>(
        "SELECT id, data FROM key_packages WHERE name = ? ORDER BY last_resort, id LIMIT 1",
      ),
      deleteKeyPackage: db.prepare("DELETE FROM key_packages WHERE id = ? AND last_resort = 0"),
      countKeyPackages: db.prepare<[string], { n: number }>(
        "SELECT count(*) AS n FROM key_packages WHERE name = ? AND last_resort = 0",
      ),
      group: db.prepare<[string], { group_id: string; kind: string; epoch: number; group_info: Buffer | null }>(
        "SELECT group_id, kind, epoch, group_info FROM groups WHERE group_id = ?",
      ),
      insertGroup: db.prepare("INSERT OR IGNORE INTO groups (group_id, kind, epoch, group_info) VALUES (?, ?, 0, ?)"),
      advanceGroup: db.prepare("UPDATE groups SET epoch = ?, group_info = ? WHERE group_id = ?"),
      insertCommit: db.prepare("INSERT INTO commits (group_id, epoch, seq) VALUES (?, ?, ?)"),
      insertMessage: db.prepare<[string, string | null, string, number, number, Uint8Array], MessageRow>(
        "INSERT INTO messages (group_id, recipient, sender, kind, server_ts, payload) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
      ),
      insertSharedPayload: db.prepare("INSERT INTO shared_payloads (data) VALUES (?)"),
      insertSharedDelivery: db.prepare<[string, string, string, number, number, number | bigint]>(
        `INSERT INTO messages (group_id, recipient, sender, kind, server_ts, payload, shared_payload)
         VALUES (?, ?, ?, ?, ?, X'', ?)`,
      ),
      // No RETURNING: the new row is the input plus its seq, and reading it back copies the payload.
      insertSend: db.prepare<[string, string, number, number, Uint8Array, Uint8Array | null]>(
        `INSERT INTO messages (group_id, recipient, sender, kind, server_ts, payload, send_id) VALUES (?, NULL, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ),
      sendById: db.prepare<[string, Uint8Array], MessageRow>("SELECT * FROM messages WHERE sender = ? AND send_id = ?"),
      // Retention deletes a prefix of the log: the rows before the first one to keep, which a
      // scan in seq order finds after reading only the rows it deletes.
      firstKept: db.prepare<[number], { seq: number }>(
        "SELECT seq FROM messages WHERE server_ts >= ? ORDER BY seq LIMIT 1",
      ),
      oldestSeq: db.prepare<[], { seq: number | null }>("SELECT MIN(seq) AS seq FROM messages"),
      deleteBefore: db.prepare<[number]>("DELETE FROM messages WHERE seq < ?"),
      deleteUnsharedPayloads: db.prepare(
        `DELETE FROM shared_payloads WHERE id < COALESCE(
           (SELECT MIN(shared_payload) FROM messages WHERE shared_payload IS NOT NULL),
           (SELECT MAX(id) + 1 FROM shared_payloads))`,
      ),
      nextSeq: db.prepare<[], { next: number }>(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0) + 1 AS next",
      ),
      join: db.prepare("INSERT INTO memberships (group_id, name, joined_seq) VALUES (?, ?, ?)"),
      leave: db.prepare("UPDATE memberships SET left_seq = ? WHERE group_id = ? AND name = ? AND left_seq IS NULL"),
      groupsOf: db.prepare<[string], { group_id: string }>(
        "SELECT DISTINCT group_id FROM memberships WHERE name = ? AND left_seq IS NULL ORDER BY group_id",
      ),
      currentMembers: db.prepare<[string], { name: string }>(
        "SELECT name FROM memberships WHERE group_id = ? AND left_seq IS NULL ORDER BY name",
      ),
      listGroups: db.prepare<
        [{ viewer: string; after: string; limit: number }],
        { group_id: string; kind: string; members: string | null }
      >(
        `SELECT g.group_id, g.kind, (SELECT group_concat(m.name) FROM memberships m
           WHERE m.group_id = g.group_id AND m.left_seq IS NULL) AS members
         FROM groups g
         WHERE g.group_id > @after AND (g.kind = 'open' OR EXISTS (SELECT 1 FROM memberships v
           WHERE v.group_id = g.group_id AND v.name = @viewer AND v.left_seq IS NULL))
         ORDER BY g.group_id LIMIT @limit`,
      ),
      fetchSince: db.prepare<[{ cursor: number; name: string; limit: number }], MessageRow>(
        `SELECT m.seq, m.group_id, m.sender, m.kind, m.server_ts, COALESCE(sp.data, m.payload) AS payload
         FROM messages m LEFT JOIN shared_payloads sp ON sp.id = m.shared_payload
         WHERE m.seq > @cursor AND (
           m.recipient = @name OR (m.recipient IS NULL AND EXISTS (
             SELECT 1 FROM memberships ms WHERE ms.group_id = m.group_id AND ms.name = @name
               AND m.seq >= ms.joined_seq AND (ms.left_seq IS NULL OR m.seq <= ms.left_seq))))
         ORDER BY m.seq LIMIT @limit`,
      ),
      cursor: db.prepare<[string], { cursor: number }>("SELECT cursor FROM users WHERE name = ?"),
      setCursor: db.prepare("UPDATE users SET cursor = max(cursor, ?) WHERE name = ?"),
    };
  }

  async registerUser(name: UserName, publicKey: Uint8Array): Promise<RegisterResult> {
    return this.write((): RegisterResult => {
      const existing = this.statements.userKey.get(name);
      if (existing === undefined) {
        // A released name coming back was checked when it was new.
        if (this.statements.hadName.get(name) === undefined) {
          const skeleton = nameSkeleton(name);
          const lookalike = this.statements.lookalike.get(skeleton, name);
          if (lookalike !== undefined) return { kind: "confusable", lookalike: lookalike.name as UserName };
          this.statements.insertSkeleton.run(name, skeleton);
        }
        this.statements.insertUser.run(name, publicKey);
        return { kind: "registered" };
      }
      return Buffer.from(publicKey).equals(existing.public_key) ? { kind: "known" } : { kind: "name_taken" };
    });
  }

  async retiredKeys(name: UserName): Promise<Uint8Array[]> {
    return this.statements.retiredKeys.all(name).map((row) => new Uint8Array(row.public_key));
  }

  async releaseName(name: UserName): Promise<"released" | "unknown"> {
    return this.write(() => {
      if (this.statements.userKey.get(name) === undefined) return "unknown";
      const now = this.statements.nextSeq.get()?.next ?? 1;
      // The account's linked devices go with it: their certificates were signed by the old key.
      const devices = this.db
        .prepare<[string], { name: string }>("SELECT name FROM devices WHERE account = ?")
        .all(name)
        .map((row) => row.name);
      for (const released of [name, ...devices]) {
        const key = this.statements.userKey.get(released);
        if (key === undefined) continue;
        this.db
          .prepare("INSERT INTO retired_keys (name, public_key, retired_seq) VALUES (?, ?, ?)")
          .run(released, key.public_key, now);
        this.db.prepare("DELETE FROM key_packages WHERE name = ?").run(released);
        this.db
          .prepare("UPDATE memberships SET left_seq = ? WHERE name = ? AND left_seq IS NULL")
          .run(now - 1, released);
        this.db.prepare("DELETE FROM users WHERE name = ?").run(released);
      }
      return "released";
    });
  }

  async userKey(name: UserName): Promise<Uint8Array | undefined> {
    const row = this.statements.userKey.get(name);
    return row === undefined ? undefined : new Uint8Array(row.public_key);
  }

  async addDevice(
    account: UserName,
    device: UserName,
    publicKey: Uint8Array,
    certificate: Uint8Array,
  ): Promise<AddDeviceResult> {
    return this.write((): AddDeviceResult => {
      if (this.statements.userKey.get(account) === undefined) return { kind: "no_account" };
      const taken = this.db.prepare("SELECT 1 FROM devices WHERE name = ?").get(device) !== undefined;
      if (taken || this.statements.userKey.get(device) !== undefined) return { kind: "exists" };
      this.statements.insertUser.run(device, publicKey);
      this.db
        .prepare("INSERT INTO devices (name, account, certificate) VALUES (?, ?, ?)")
        .run(device, account, certificate);
      return { kind: "added" };
    });
  }

  async revokeDevice(device: UserName, revocation: Uint8Array): Promise<"revoked" | "already" | "unknown"> {
    return this.write(() => {
      const row = this.db
        .prepare<[string], { revocation: Buffer | null }>("SELECT revocation FROM devices WHERE name = ?")
        .get(device);
      if (row === undefined) return "unknown";
      if (row.revocation !== null) return "already";
      this.db.prepare("UPDATE devices SET revocation = ? WHERE name = ?").run(revocation, device);
      this.db.prepare("DELETE FROM key_packages WHERE name = ?").run(device);
      return "revoked";
    });
  }

  async devices(account: UserName): Promise<StoredDevice[]> {
    return this.db
      .prepare<[string], DeviceRow>("SELECT * FROM devices WHERE account = ? ORDER BY rowid")
      .all(account)
      .map(toStoredDevice);
  }

  async device(device: UserName): Promise<StoredDevice | undefined> {
    const row = this.db.prepare<[string], DeviceRow>("SELECT * FROM devices WHERE name = ?").get(device);
    return row === undefined ? undefined : toStoredDevice(row);
  }

  async deviceSeen(device: UserName, at: number): Promise<void> {
    this.write(() => this.db.prepare("UPDATE devices SET last_seen = ? WHERE name = ?").run(at, device));
  }

  async addKeyPackages(name: UserName, keyPackages: Uint8Array[], lastResort: Uint8Array | undefined): Promise<void> {
    this.write(() => {
      for (const keyPackage of keyPackages) this.statements.insertKeyPackage.run(name, keyPackage, 0);
      if (lastResort !== undefined) {
        this.statements.deleteLastResort.run(name);
        this.statements.insertKeyPackage.run(name, lastResort, 1);
      }
    });
  }

  async claimKeyPackage(name: UserName): Promise<Uint8Array | undefined> {
    return this.write(() => {
      const row = this.statements.takeKeyPackage.get(name);
      if (row === undefined) return undefined;
      this.statements.deleteKeyPackage.run(row.id);
      return new Uint8Array(row.data);
    });
  }

  async countKeyPackages(name: UserName): Promise<number> {
    return this.statements.countKeyPackages.get(name)?.n ?? 0;
  }

  async createGroup(
    groupId: GroupId,
    kind: RoomKind,
    creator: UserName,
    groupInfo: Uint8Array | undefined,
  ): Promise<CreateGroupResult> {
    return this.write((): CreateGroupResult => {
      if (this.statements.group.get(groupId) !== undefined) return { kind: "exists" };
      const skeleton = roomSkeleton(groupId);
      if (skeleton !== undefined) {
        const named = this.statements.roomName.get(groupId);
        if (named === undefined) {
          const lookalike = this.statements.roomLookalike.get(skeleton, groupId);
          if (lookalike !== undefined) return { kind: "confusable", lookalike: lookalike.group_id as GroupId };
          this.statements.insertRoomName.run(groupId, skeleton);
        } else if (named.owner !== null && named.owner !== creator) {
          return { kind: "reserved", owner: named.owner as UserName };
        }
      }
      this.statements.insertGroup.run(groupId, kind, groupInfo ?? null);
      const seq = this.statements.nextSeq.get()?.next ?? 1;
      this.statements.join.run(groupId, creator, seq);
      return { kind: "created", seq };
    });
  }

  async reserveRoom(groupId: GroupId, owner: UserName, reclaim: boolean): Promise<ReserveRoomResult> {
    const skeleton = roomSkeleton(groupId);
    if (skeleton === undefined) throw new Error("only # and + rooms can be reserved");
    return this.write((): ReserveRoomResult => {
      const inUse = this.statements.group.get(groupId) !== undefined;
      const members = inUse ? this.membersNow(groupId) : [];
      if (inUse && !reclaim) return { kind: "exists", members };
      if (inUse) {
        // Windows end at the last delivery so far: nothing of the new group reaches its old members.
        this.db
          .prepare("UPDATE memberships SET left_seq = ? WHERE group_id = ? AND left_seq IS NULL")
          .run(this.highestSeq(), groupId);
        this.db.prepare("DELETE FROM commits WHERE group_id = ?").run(groupId);
        this.db.prepare("DELETE FROM groups WHERE group_id = ?").run(groupId);
      }
      this.statements.reserveRoomName.run(groupId, skeleton, owner);
      return inUse ? { kind: "reclaimed", members } : { kind: "reserved" };
    });
  }

  async unreserveRoom(groupId: GroupId): Promise<"unreserved" | "unknown"> {
    return this.write(() => {
      const lifted = this.db
        .prepare("UPDATE room_names SET owner = NULL WHERE group_id = ? AND owner IS NOT NULL")
        .run(groupId);
      if (lifted.changes === 0) return "unknown";
      // A name reserved but never created holds no look-alikes off once it is free.
      if (this.statements.group.get(groupId) === undefined) {
        this.db.prepare("DELETE FROM room_names WHERE group_id = ?").run(groupId);
      }
      return "unreserved";
    });
  }

  async group(groupId: GroupId): Promise<StoredGroup | undefined> {
    const row = this.statements.group.get(groupId);
    if (row === undefined) return undefined;
    return {
      groupId: row.group_id as GroupId,
      kind: row.kind as RoomKind,
      epoch: row.epoch,
      groupInfo: row.group_info === null ? undefined : new Uint8Array(row.group_info),
    };
  }

  async acceptCommit(input: CommitInput): Promise<CommitResult> {
    return this.write((): CommitResult => {
      const group = this.statements.group.get(input.groupId);
      if (group === undefined) return { kind: "no_group" };
      if (group.epoch !== input.epoch) return { kind: "stale", currentEpoch: group.epoch };
      const commitRow = this.statements.insertMessage.get(
        input.groupId,
        null,
        input.sender,
        deliveryKinds.commit,
        input.serverTs,
        input.commit,
      );
      if (commitRow === undefined) throw new Error("insert returned no row");
      this.statements.insertCommit.run(input.groupId, input.epoch, commitRow.seq);
      this.statements.advanceGroup.run(input.epoch + 1, input.groupInfo ?? null, input.groupId);
      for (const name of input.removed) this.statements.leave.run(commitRow.seq, input.groupId, name);
      if (input.senderJoins) this.statements.join.run(input.groupId, input.sender, commitRow.seq);
      const welcomes: { recipient: UserName; delivery: StoredDelivery }[] = [];
      const { welcome, groupId, sender, serverTs } = input;
      if (welcome !== undefined && input.added.length > 0) {
        const shared = this.statements.insertSharedPayload.run(welcome).lastInsertRowid;
        for (const recipient of input.added) {
          const kind = deliveryKinds.welcome;
          const row = this.statements.insertSharedDelivery.run(groupId, recipient, sender, kind, serverTs, shared);
          const seq = Number(row.lastInsertRowid);
          this.statements.join.run(groupId, recipient, seq);
          welcomes.push({ recipient, delivery: { seq, serverTs, groupId, sender, kind: "welcome", payload: welcome } });
        }
      }
      return { kind: "accepted", commit: toDelivery(commitRow), welcomes };
    });
  }

  async appendMessages(inputs: AppendInput[]): Promise<AppendResult[]> {
    return this.write(() =>
      inputs.map((input): AppendResult => {
        const sendId = input.sendId ?? null;
        const inserted = this.statements.insertSend.run(
          input.groupId,
          input.sender,
          deliveryKinds.message,
          input.serverTs,
          input.payload,
          sendId,
        );
        if (inserted.changes === 1) {
          const { groupId, sender, serverTs, payload } = input;
          const seq = Number(inserted.lastInsertRowid);
          return { kind: "stored", delivery: { seq, serverTs, groupId, sender, kind: "message", payload } };
        }
        const first = sendId === null ? undefined : this.statements.sendById.get(input.sender, sendId);
        if (first === undefined) throw new Error("insert returned no row");
        return { kind: "duplicate", delivery: toDelivery(first) };
      }),
    );
  }

  async groupsOf(name: UserName): Promise<GroupId[]> {
    return this.statements.groupsOf.all(name).map((row) => row.group_id as GroupId);
  }

  async currentMembers(groupId: GroupId): Promise<UserName[]> {
    return this.membersNow(groupId);
  }

  private membersNow(groupId: GroupId): UserName[] {
    return this.statements.currentMembers.all(groupId).map((row) => row.name as UserName);
  }

  async listGroups(
    viewer: UserName,
    after: string,
    limit: number,
  ): Promise<{ groupId: GroupId; kind: RoomKind; members: UserName[] }[]> {
    return this.statements.listGroups.all({ viewer, after, limit }).map((row) => ({
      groupId: row.group_id as GroupId,
      kind: row.kind as RoomKind,
      members: row.members === null ? [] : (row.members.split(",").sort() as UserName[]),
    }));
  }

  async fetchSince(name: UserName, cursor: number, limit: number): Promise<StoredDelivery[]> {
    return this.statements.fetchSince.all({ cursor, name, limit }).map(toDelivery);
  }

  async pruneDeliveries(serverTs: number, limit: number): Promise<number> {
    return this.write(() => {
      const oldest = this.statements.oldestSeq.get()?.seq;
      if (oldest === null || oldest === undefined) return 0;
      const firstKept = this.statements.firstKept.get(serverTs)?.seq ?? this.highestSeq() + 1;
      const deleted = this.statements.deleteBefore.run(Math.min(firstKept, oldest + limit)).changes;
      this.statements.deleteUnsharedPayloads.run();
      return deleted;
    });
  }

  async lastSeq(): Promise<number> {
    return this.highestSeq();
  }

  private highestSeq(): number {
    return (this.statements.nextSeq.get()?.next ?? 1) - 1;
  }

  async cursor(name: UserName): Promise<number> {
    return this.statements.cursor.get(name)?.cursor ?? 0;
  }

  async setCursors(cursors: ReadonlyMap<UserName, number>): Promise<void> {
    this.write(() => {
      for (const [name, seq] of cursors) this.statements.setCursor.run(seq, name);
    });
  }

  sync(): Promise<void> {
    // On Linux fdatasync flushes the file's pages whoever wrote them, so our own descriptor
    // covers SQLite's writes; it runs in libuv's thread pool, off the event loop.
    if (this.closed) return Promise.reject(new Error("the storage is closed"));
    this.syncsInFlight++;
    return new Promise((resolve, reject) => {
      fdatasync(this.wal, (error) => {
        // A sync still in the thread pool at close must not find the descriptor closed or reused.
        if (--this.syncsInFlight === 0 && this.closed) closeSync(this.wal);
        if (error !== null) {
          reject(error);
          return;
        }
        if (!this.closed) this.checkpoints.afterSync();
        resolve();
      });
    });
  }

  /**
   * SQLite is in the process, so what can go wrong is the file: removed or replaced under the
   * running server (a data folder deleted or restored from backup), every write from then on
   * goes to a file that no later start will open.
   */
  async ping(): Promise<void> {
    if (this.closed) throw new Error("the database is closed");
    this.statements.ping.get();
    const now = statSync(this.path, { throwIfNoEntry: false });
    if (now?.ino !== this.opened.ino || now.dev !== this.opened.dev) {
      // No path: health answers go to whoever can reach the port.
      throw new Error(
        `the database file was ${now === undefined ? "removed" : "replaced"} while the server runs: ` +
          "what it stores now is lost at the next start; restart the server",
      );
    }
  }

  /** Runs `body` as one transaction; a full disk becomes StorageFullError (SQLite rolled it back). */
  private write<T>(body: () => T): T {
    try {
      return this.db.transaction(body)();
    } catch (error) {
      throw storageError(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.checkpoints.stop();
    fdatasyncSync(this.wal);
    this.db.close();
    if (this.syncsInFlight === 0) closeSync(this.wal);
  }
}

/**
 * Gives the names of a database made before name_skeletons their skeletons. Look-alikes among
 * them stay registered (a migration takes no name from anyone); only names new from now on are
 * refused.
 */
function backfillSkeletons(db: Database.Database): void {
  const insert = db.prepare("INSERT INTO name_skeletons (name, skeleton) VALUES (?, ?)");
  const names = db.prepare<[], { name: string }>("SELECT name FROM users UNION SELECT name FROM retired_keys").all();
  // Every stored name passed parseUserName when it was registered.
  for (const { name } of names) insert.run(name, nameSkeleton(name as UserName));
}

/**
 * Gives the rooms of a database made before room_names their skeletons; look-alikes among them
 * stay, as names do (see backfillSkeletons).
 */
function backfillRoomNames(db: Database.Database): void {
  const insert = db.prepare("INSERT INTO room_names (group_id, skeleton) VALUES (?, ?)");
  for (const { group_id } of db.prepare<[], { group_id: string }>("SELECT group_id FROM groups").all()) {
    const skeleton = roomSkeleton(group_id as GroupId);
    if (skeleton !== undefined) insert.run(group_id, skeleton);
  }
}

/** SQLite's answer to a full disk (or a size limit) as StorageFullError; anything else as it is. */
function storageError(error: unknown): unknown {
  return (error as { code?: unknown }).code === "SQLITE_FULL" ? new StorageFullError(error) : error;
}
