import pg from "pg";
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
import { StorageFullError, StorageUnavailableError } from "./storage.js";

/** How acknowledged writes are made durable, in words (benchmark reports quote it). */
export const PG_DURABILITY = "synchronous_commit=on for every session: a write settles once its commit is flushed";

/** Serializes schema creation between nodes starting at once (an arbitrary, fixed key). */
const SCHEMA_LOCK = 7_447_001;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  public_key BYTEA NOT NULL,
  cursor BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS retired_keys (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  public_key BYTEA NOT NULL,
  retired_seq BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS retired_keys_by_name ON retired_keys(name, id);
CREATE TABLE IF NOT EXISTS name_skeletons (
  name TEXT PRIMARY KEY,
  skeleton TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS name_skeletons_by_skeleton ON name_skeletons(skeleton);
CREATE TABLE IF NOT EXISTS key_packages (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL REFERENCES users(name),
  data BYTEA NOT NULL,
  last_resort BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS key_packages_by_name ON key_packages(name, last_resort, id);
CREATE TABLE IF NOT EXISTS groups (
  group_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  group_info BYTEA
);
CREATE TABLE IF NOT EXISTS commits (
  group_id TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  PRIMARY KEY (group_id, epoch)
);
CREATE TABLE IF NOT EXISTS memberships (
  group_id TEXT NOT NULL,
  name TEXT NOT NULL,
  joined_seq BIGINT NOT NULL,
  left_seq BIGINT
);
CREATE INDEX IF NOT EXISTS memberships_by_name ON memberships(name, group_id);
CREATE INDEX IF NOT EXISTS memberships_by_group ON memberships(group_id, left_seq);
CREATE TABLE IF NOT EXISTS shared_payloads (
  id BIGSERIAL PRIMARY KEY,
  data BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  seq BIGINT PRIMARY KEY,
  group_id TEXT NOT NULL,
  recipient TEXT,
  sender TEXT NOT NULL,
  kind SMALLINT NOT NULL,
  server_ts BIGINT NOT NULL,
  payload BYTEA NOT NULL,
  send_id BYTEA,
  shared_payload BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_send_id ON messages(sender, send_id) WHERE send_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_recipient ON messages(recipient, seq) WHERE recipient IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_shared_payload ON messages(shared_payload) WHERE shared_payload IS NOT NULL;
CREATE TABLE IF NOT EXISTS room_names (
  group_id TEXT PRIMARY KEY,
  skeleton TEXT NOT NULL,
  owner TEXT
);
CREATE INDEX IF NOT EXISTS room_names_by_skeleton ON room_names(skeleton);
-- Linked devices (account.N): each also has a users row (its key, cursor, KeyPackages).
CREATE TABLE IF NOT EXISTS devices (
  id BIGSERIAL,
  name TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  certificate BYTEA NOT NULL,
  revocation BYTEA,
  last_seen BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS devices_by_account ON devices(account, id);
-- The last seq handed out. Every write that hands out or reads seqs locks this one row first
-- (see PgStorage), so seqs become visible in the order they were handed out.
CREATE TABLE IF NOT EXISTS seq_counter (
  only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
  last BIGINT NOT NULL
);
INSERT INTO seq_counter (only_row, last) VALUES (true, 0) ON CONFLICT DO NOTHING;
`;

const INT8_OID = 20;

/** BIGINT columns as numbers: seqs, epochs and times stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const MESSAGE_COLUMNS = "seq, group_id, sender, kind, server_ts, payload";

/** A Uint8Array as the Buffer the driver sends as bytea (no copy). */
function param(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

type Client = pg.PoolClient;

export interface PgStorageOptions {
  /** Connections in the pool (writes use one at a time; reads share the rest). */
  maxConnections?: number;
}

/**
 * PostgreSQL adapter, for several server nodes on one database: PostgreSQL is the only source
 * of truth (the bus carries hints). Each write is one transaction, and settles once committed
 * with synchronous_commit=on, so `sync` has nothing left to wait for.
 *
 * Seq order is commit order, across nodes: a write that hands out seqs (or reads the next one,
 * to start or end a membership window) first locks the single seq_counter row and raises it
 * just before COMMIT. A second writer waits on that row lock until the first has committed, so
 * it can only get higher seqs once the lower ones are visible: a reader can never see seq n + 1
 * while seq n is still to come, and catch-up by cursor never skips a row (the test
 * "a lower seq committed last" in pg-storage.test.ts forces that interleaving). Node-local
 * order (writes take effect in call order) comes from running one write at a time.
 */
export class PgStorage implements Storage {
  private readonly pool: pg.Pool;
  /** The end of the last write called (never rejects): the next write, and reads, start after it. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The batch of sends whose write has not started yet: sends called now join it. */
  private waitingAppend: { inputs: AppendInput[]; result: Promise<AppendResult[]> } | undefined;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** Connects, creates the schema if missing, and answers once the database is usable. */
  static async open(
    connectionString: string,
    options: PgStorageOptions = {},
    onError: (error: Error) => void = () => undefined,
  ): Promise<PgStorage> {
    const pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 8,
      types,
      // Whatever the server's default, a commit is on disk before it is acknowledged.
      options: "-c synchronous_commit=on",
      // While the database is unreachable, requests fail soon with STORAGE_UNAVAILABLE
      // rather than waiting without end; the pool connects again on the next request.
      connectionTimeoutMillis: 5_000,
      query_timeout: 30_000,
    });
    // An idle connection that breaks (a database restart) is dropped by the pool; without a
    // listener the 'error' event would end the process.
    pool.on("error", onError);
    const storage = new PgStorage(pool);
    try {
      await storage.transaction(async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
        await client.query(SCHEMA);
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return storage;
  }

  async registerUser(name: UserName, publicKey: Uint8Array): Promise<RegisterResult> {
    return this.write(async (client, last): Promise<RegisterResult> => {
      const existing = await one<{ public_key: Buffer }>(client, "SELECT public_key FROM users WHERE name = $1", [
        name,
      ]);
      if (existing !== undefined) {
        return Buffer.from(publicKey).equals(existing.public_key) ? { kind: "known" } : { kind: "name_taken" };
      }
      // A released name coming back was checked when it was new.
      if ((await one(client, "SELECT 1 FROM name_skeletons WHERE name = $1", [name])) === undefined) {
        const skeleton = nameSkeleton(name);
        const lookalike = await one<{ name: string }>(
          client,
          "SELECT name FROM name_skeletons WHERE skeleton = $1 AND name <> $2 LIMIT 1",
          [skeleton, name],
        );
        if (lookalike !== undefined) return { kind: "confusable", lookalike: lookalike.name as UserName };
        await client.query("INSERT INTO name_skeletons (name, skeleton) VALUES ($1, $2)", [name, skeleton]);
      }
      await client.query("INSERT INTO users (name, public_key, cursor) VALUES ($1, $2, $3)", [
        name,
        param(publicKey),
        last,
      ]);
      return { kind: "registered" };
    });
  }

  async addDevice(
    account: UserName,
    device: UserName,
    publicKey: Uint8Array,
    certificate: Uint8Array,
  ): Promise<AddDeviceResult> {
    return this.write(async (client, last): Promise<AddDeviceResult> => {
      if ((await one(client, "SELECT 1 FROM users WHERE name = $1", [account])) === undefined) {
        return { kind: "no_account" };
      }
      const taken =
        (await one(client, "SELECT 1 FROM devices WHERE name = $1", [device])) !== undefined ||
        (await one(client, "SELECT 1 FROM users WHERE name = $1", [device])) !== undefined;
      if (taken) return { kind: "exists" };
      await client.query("INSERT INTO users (name, public_key, cursor) VALUES ($1, $2, $3)", [
        device,
        param(publicKey),
        last,
      ]);
      await client.query("INSERT INTO devices (name, account, certificate) VALUES ($1, $2, $3)", [
        device,
        account,
        param(certificate),
      ]);
      return { kind: "added" };
    });
  }

  async revokeDevice(device: UserName, revocation: Uint8Array): Promise<"revoked" | "already" | "unknown"> {
    return this.write(async (client) => {
      const row = await one<{ revocation: Buffer | null }>(
        client,
        "SELECT revocation FROM devices WHERE name = $1 FOR UPDATE",
        [device],
      );
      if (row === undefined) return "unknown";
      if (row.revocation !== null) return "already";
      await client.query("UPDATE devices SET revocation = $1 WHERE name = $2", [param(revocation), device]);
      await client.query("DELETE FROM key_packages WHERE name = $1", [device]);
      return "revoked";
    }, false);
  }

  async devices(account: UserName): Promise<StoredDevice[]> {
    const rows = await this.read<DeviceRow>(
      "SELECT name, certificate, revocation, last_seen FROM devices WHERE account = $1 ORDER BY id",
      [account],
    );
    return rows.map(toStoredDevice);
  }

  async device(device: UserName): Promise<StoredDevice | undefined> {
    const row = await this.readOne<DeviceRow>(
      "SELECT name, certificate, revocation, last_seen FROM devices WHERE name = $1",
      [device],
    );
    return row === undefined ? undefined : toStoredDevice(row);
  }

  async deviceSeen(device: UserName, at: number): Promise<void> {
    await this.write(async (client) => {
      await client.query("UPDATE devices SET last_seen = GREATEST(last_seen, $1) WHERE name = $2", [at, device]);
    }, false);
  }

  async userKey(name: UserName): Promise<Uint8Array | undefined> {
    const row = await this.readOne<{ public_key: Buffer }>("SELECT public_key FROM users WHERE name = $1", [name]);
    return row === undefined ? undefined : new Uint8Array(row.public_key);
  }

  async retiredKeys(name: UserName): Promise<Uint8Array[]> {
    const rows = await this.read<{ public_key: Buffer }>(
      "SELECT public_key FROM retired_keys WHERE name = $1 ORDER BY id",
      [name],
    );
    return rows.map((row) => new Uint8Array(row.public_key));
  }

  async releaseName(name: UserName): Promise<"released" | "unknown"> {
    return this.write(async (client, last) => {
      if ((await one(client, "SELECT 1 FROM users WHERE name = $1", [name])) === undefined) return "unknown";
      // The account's linked devices go with it: their certificates were signed by the old key.
      const devices = await client.query<{ name: string }>("SELECT name FROM devices WHERE account = $1", [name]);
      for (const released of [name, ...devices.rows.map((row) => row.name)]) {
        const key = await one<{ public_key: Buffer }>(client, "SELECT public_key FROM users WHERE name = $1", [
          released,
        ]);
        if (key === undefined) continue;
        await client.query("INSERT INTO retired_keys (name, public_key, retired_seq) VALUES ($1, $2, $3)", [
          released,
          key.public_key,
          last + 1,
        ]);
        await client.query("DELETE FROM key_packages WHERE name = $1", [released]);
        await client.query("UPDATE memberships SET left_seq = $1 WHERE name = $2 AND left_seq IS NULL", [
          last,
          released,
        ]);
        await client.query("DELETE FROM users WHERE name = $1", [released]);
      }
      return "released";
    });
  }

  async addKeyPackages(name: UserName, keyPackages: Uint8Array[], lastResort: Uint8Array | undefined): Promise<void> {
    await this.write(async (client) => {
      if (keyPackages.length > 0) {
        await client.query(
          "INSERT INTO key_packages (name, data) SELECT $1, data FROM unnest($2::bytea[]) WITH ORDINALITY AS k(data, n) ORDER BY n",
          [name, keyPackages.map(param)],
        );
      }
      if (lastResort !== undefined) {
        await client.query("DELETE FROM key_packages WHERE name = $1 AND last_resort", [name]);
        await client.query("INSERT INTO key_packages (name, data, last_resort) VALUES ($1, $2, true)", [
          name,
          param(lastResort),
        ]);
      }
    }, false);
  }

  async claimKeyPackage(name: UserName): Promise<Uint8Array | undefined> {
    // One statement: a package another claimer has locked is skipped, never handed out twice.
    // The last-resort package is only read, so concurrent claimers may all get it.
    const rows = await this.write(
      async (client) =>
        (
          await client.query<{ data: Buffer }>(
            `WITH picked AS (
               SELECT id FROM key_packages WHERE name = $1 AND NOT last_resort
               ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED),
             taken AS (DELETE FROM key_packages k USING picked WHERE k.id = picked.id RETURNING k.data)
             SELECT data FROM taken
             UNION ALL
             SELECT data FROM key_packages WHERE name = $1 AND last_resort AND NOT EXISTS (SELECT 1 FROM picked)
             LIMIT 1`,
            [name],
          )
        ).rows,
      false,
    );
    const row = rows[0];
    return row === undefined ? undefined : new Uint8Array(row.data);
  }

  async countKeyPackages(name: UserName): Promise<number> {
    const row = await this.readOne<{ n: number }>(
      "SELECT count(*)::bigint AS n FROM key_packages WHERE name = $1 AND NOT last_resort",
      [name],
    );
    return row?.n ?? 0;
  }

  async createGroup(
    groupId: GroupId,
    kind: RoomKind,
    creator: UserName,
    groupInfo: Uint8Array | undefined,
  ): Promise<CreateGroupResult> {
    return this.write(async (client, last): Promise<CreateGroupResult> => {
      if ((await one(client, "SELECT 1 FROM groups WHERE group_id = $1", [groupId])) !== undefined) {
        return { kind: "exists" };
      }
      const skeleton = roomSkeleton(groupId);
      if (skeleton !== undefined) {
        const named = await one<{ owner: string | null }>(client, "SELECT owner FROM room_names WHERE group_id = $1", [
          groupId,
        ]);
        if (named === undefined) {
          const lookalike = await one<{ group_id: string }>(
            client,
            "SELECT group_id FROM room_names WHERE skeleton = $1 AND group_id <> $2 LIMIT 1",
            [skeleton, groupId],
          );
          if (lookalike !== undefined) return { kind: "confusable", lookalike: lookalike.group_id as GroupId };
          await client.query("INSERT INTO room_names (group_id, skeleton) VALUES ($1, $2)", [groupId, skeleton]);
        } else if (named.owner !== null && named.owner !== creator) {
          return { kind: "reserved", owner: named.owner as UserName };
        }
      }
      const seq = last + 1;
      await client.query(
        `WITH g AS (INSERT INTO groups (group_id, kind, epoch, group_info) VALUES ($1, $2, 0, $3))
         INSERT INTO memberships (group_id, name, joined_seq) VALUES ($1, $4, $5)`,
        [groupId, kind, groupInfo === undefined ? null : param(groupInfo), creator, seq],
      );
      return { kind: "created", seq };
    });
  }

  async reserveRoom(groupId: GroupId, owner: UserName, reclaim: boolean): Promise<ReserveRoomResult> {
    const skeleton = roomSkeleton(groupId);
    if (skeleton === undefined) throw new Error("only # and + rooms can be reserved");
    return this.write(async (client, last): Promise<ReserveRoomResult> => {
      const inUse = (await one(client, "SELECT 1 FROM groups WHERE group_id = $1", [groupId])) !== undefined;
      const members = inUse ? await membersNow(client, groupId) : [];
      if (inUse && !reclaim) return { kind: "exists", members };
      if (inUse) {
        // Windows end at the last delivery so far: nothing of the new group reaches its old members.
        await client.query("UPDATE memberships SET left_seq = $1 WHERE group_id = $2 AND left_seq IS NULL", [
          last,
          groupId,
        ]);
        await client.query("DELETE FROM commits WHERE group_id = $1", [groupId]);
        await client.query("DELETE FROM groups WHERE group_id = $1", [groupId]);
      }
      await client.query(
        `INSERT INTO room_names (group_id, skeleton, owner) VALUES ($1, $2, $3)
         ON CONFLICT (group_id) DO UPDATE SET owner = excluded.owner`,
        [groupId, skeleton, owner],
      );
      return inUse ? { kind: "reclaimed", members } : { kind: "reserved" };
    });
  }

  async unreserveRoom(groupId: GroupId): Promise<"unreserved" | "unknown"> {
    return this.write(async (client) => {
      const lifted = await client.query(
        "UPDATE room_names SET owner = NULL WHERE group_id = $1 AND owner IS NOT NULL",
        [groupId],
      );
      if (lifted.rowCount === 0) return "unknown";
      // A name reserved but never created holds no look-alikes off once it is free.
      await client.query(
        "DELETE FROM room_names WHERE group_id = $1 AND NOT EXISTS (SELECT 1 FROM groups WHERE group_id = $1)",
        [groupId],
      );
      return "unreserved";
    });
  }

  async group(groupId: GroupId): Promise<StoredGroup | undefined> {
    const row = await this.readOne<{ group_id: string; kind: string; epoch: number; group_info: Buffer | null }>(
      "SELECT group_id, kind, epoch, group_info FROM groups WHERE group_id = $1",
      [groupId],
    );
    if (row === undefined) return undefined;
    return {
      groupId: row.group_id as GroupId,
      kind: row.kind as RoomKind,
      epoch: row.epoch,
      groupInfo: row.group_info === null ? undefined : new Uint8Array(row.group_info),
    };
  }

  async acceptCommit(input: CommitInput): Promise<CommitResult> {
    return this.write(async (client, last, handOut): Promise<CommitResult> => {
      const group = await one<{ epoch: number }>(client, "SELECT epoch FROM groups WHERE group_id = $1", [
        input.groupId,
      ]);
      if (group === undefined) return { kind: "no_group" };
      if (group.epoch !== input.epoch) return { kind: "stale", currentEpoch: group.epoch };
      const { groupId, sender, serverTs, welcome } = input;
      const seq = last + 1;
      // The primary key of commits is a second guard of one commit per (group, epoch).
      await client.query(
        `WITH m AS (INSERT INTO messages (seq, group_id, sender, kind, server_ts, payload)
                    VALUES ($1, $2, $3, $4, $5, $6)),
              c AS (INSERT INTO commits (group_id, epoch, seq) VALUES ($2, $7, $1))
         UPDATE groups SET epoch = $7 + 1, group_info = $8 WHERE group_id = $2`,
        [
          seq,
          groupId,
          sender,
          deliveryKinds.commit,
          serverTs,
          param(input.commit),
          input.epoch,
          input.groupInfo === undefined ? null : param(input.groupInfo),
        ],
      );
      if (input.removed.length > 0) {
        await client.query(
          "UPDATE memberships SET left_seq = $1 WHERE group_id = $2 AND name = ANY($3::text[]) AND left_seq IS NULL",
          [seq, groupId, input.removed],
        );
      }
      if (input.senderJoins) {
        await client.query("INSERT INTO memberships (group_id, name, joined_seq) VALUES ($1, $2, $3)", [
          groupId,
          sender,
          seq,
        ]);
      }
      const welcomes: { recipient: UserName; delivery: StoredDelivery }[] = [];
      if (welcome !== undefined && input.added.length > 0) {
        const recipients = input.added;
        const seqs = recipients.map((_, index) => seq + 1 + index);
        // The Welcome's bytes once; each added member's delivery points at them.
        await client.query(
          `WITH shared AS (INSERT INTO shared_payloads (data) VALUES ($1) RETURNING id),
                w AS (INSERT INTO messages (seq, group_id, recipient, sender, kind, server_ts, payload, shared_payload)
                      SELECT s, $2, r, $3, $4, $5, '', shared.id FROM shared, unnest($6::bigint[], $7::text[]) AS x(s, r))
           INSERT INTO memberships (group_id, name, joined_seq) SELECT $2, r, s FROM unnest($6::bigint[], $7::text[]) AS x(s, r)`,
          [param(welcome), groupId, sender, deliveryKinds.welcome, serverTs, seqs, recipients],
        );
        recipients.forEach((recipient, index) => {
          const delivery: StoredDelivery = {
            seq: seqs[index]!,
            serverTs,
            groupId,
            sender,
            kind: "welcome",
            payload: welcome,
          };
          welcomes.push({ recipient, delivery });
        });
      }
      handOut(1 + welcomes.length);
      const commit: StoredDelivery = { seq, serverTs, groupId, sender, kind: "commit", payload: input.commit };
      return { kind: "accepted", commit, welcomes };
    });
  }

  /**
   * Batches of sends called while other writes run are stored together, in one transaction,
   * when no other write was called between them: a node's writes run one at a time, and at a
   * few milliseconds per commit, one transaction per batch would fall behind a busy room.
   */
  async appendMessages(inputs: AppendInput[]): Promise<AppendResult[]> {
    const waiting = this.waitingAppend;
    if (waiting !== undefined) {
      const offset = waiting.inputs.length;
      waiting.inputs.push(...inputs);
      return (await waiting.result).slice(offset, offset + inputs.length);
    }
    const batch: { inputs: AppendInput[]; result: Promise<AppendResult[]> } = {
      inputs: [...inputs],
      result: this.write((client, last, handOut) => {
        if (this.waitingAppend === batch) this.waitingAppend = undefined;
        return this.append(client, last, handOut, batch.inputs);
      }),
    };
    this.waitingAppend = batch;
    // A write that failed before its transaction began (no connection) takes no more sends.
    batch.result.catch(() => {
      if (this.waitingAppend === batch) this.waitingAppend = undefined;
    });
    return (await batch.result).slice(0, inputs.length);
  }

  private async append(
    client: Client,
    last: number,
    handOut: (count: number) => void,
    inputs: AppendInput[],
  ): Promise<AppendResult[]> {
    const keyOf = (sender: string, sendId: Uint8Array): string => `${sender}\n${Buffer.from(sendId).toString("hex")}`;
    const withId = inputs.filter((input) => input.sendId !== undefined);
    // Earlier deliveries of these sendIds: under the seq lock, no other writer can add one meanwhile.
    const earlier = new Map<string, StoredDelivery>();
    if (withId.length > 0) {
      const rows = await client.query<MessageRow & { send_id: Buffer }>(
        `SELECT ${MESSAGE_COLUMNS}, send_id FROM messages
         WHERE (sender, send_id) IN (SELECT * FROM unnest($1::text[], $2::bytea[]))`,
        [withId.map((input) => input.sender), withId.map((input) => param(input.sendId!))],
      );
      for (const row of rows.rows) earlier.set(keyOf(row.sender, row.send_id), toDelivery(row));
    }
    const results: AppendResult[] = [];
    const fresh: { seq: number; input: AppendInput }[] = [];
    let seq = last;
    for (const input of inputs) {
      const key = input.sendId === undefined ? undefined : keyOf(input.sender, input.sendId);
      const first = key === undefined ? undefined : earlier.get(key);
      if (first !== undefined) {
        results.push({ kind: "duplicate", delivery: first });
        continue;
      }
      seq++;
      const { groupId, sender, serverTs, payload } = input;
      const delivery: StoredDelivery = { seq, serverTs, groupId, sender, kind: "message", payload };
      if (key !== undefined) earlier.set(key, delivery);
      fresh.push({ seq, input });
      results.push({ kind: "stored", delivery });
    }
    if (fresh.length > 0) {
      await client.query(
        `INSERT INTO messages (seq, group_id, sender, kind, server_ts, payload, send_id)
         SELECT s, g, u, $1, t, p, i FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bytea[], $7::bytea[])
           AS x(s, g, u, t, p, i)`,
        [
          deliveryKinds.message,
          fresh.map((f) => f.seq),
          fresh.map((f) => f.input.groupId),
          fresh.map((f) => f.input.sender),
          fresh.map((f) => f.input.serverTs),
          fresh.map((f) => param(f.input.payload)),
          fresh.map((f) => (f.input.sendId === undefined ? null : param(f.input.sendId))),
        ],
      );
    }
    handOut(fresh.length);
    return results;
  }

  async currentMembers(groupId: GroupId): Promise<UserName[]> {
    await this.tail;
    return this.withClient((client) => membersNow(client, groupId));
  }

  async groupsOf(name: UserName): Promise<GroupId[]> {
    const rows = await this.read<{ group_id: string }>(
      "SELECT DISTINCT group_id FROM memberships WHERE name = $1 AND left_seq IS NULL ORDER BY group_id",
      [name],
    );
    return rows.map((row) => row.group_id as GroupId);
  }

  async listGroups(
    viewer: UserName,
    after: string,
    limit: number,
  ): Promise<{ groupId: GroupId; kind: RoomKind; members: UserName[] }[]> {
    const rows = await this.read<{ group_id: string; kind: string; members: string[] | null }>(
      `SELECT g.group_id, g.kind, (SELECT array_agg(m.name ORDER BY m.name) FROM memberships m
         WHERE m.group_id = g.group_id AND m.left_seq IS NULL) AS members
       FROM groups g
       WHERE g.group_id > $2 AND (g.kind = 'open' OR EXISTS (SELECT 1 FROM memberships v
         WHERE v.group_id = g.group_id AND v.name = $1 AND v.left_seq IS NULL))
       ORDER BY g.group_id LIMIT $3`,
      [viewer, after, limit],
    );
    return rows.map((row) => ({
      groupId: row.group_id as GroupId,
      kind: row.kind as RoomKind,
      members: (row.members ?? []) as UserName[],
    }));
  }

  async fetchSince(name: UserName, cursor: number, limit: number): Promise<StoredDelivery[]> {
    const rows = await this.read<MessageRow>(
      `SELECT m.seq, m.group_id, m.sender, m.kind, m.server_ts, COALESCE(sp.data, m.payload) AS payload
       FROM messages m LEFT JOIN shared_payloads sp ON sp.id = m.shared_payload
       WHERE m.seq > $1 AND (
         m.recipient = $2 OR (m.recipient IS NULL AND EXISTS (
           SELECT 1 FROM memberships ms WHERE ms.group_id = m.group_id AND ms.name = $2
             AND m.seq >= ms.joined_seq AND (ms.left_seq IS NULL OR m.seq <= ms.left_seq))))
       ORDER BY m.seq LIMIT $3`,
      [cursor, name, limit],
    );
    return rows.map(toDelivery);
  }

  async cursor(name: UserName): Promise<number> {
    return (await this.readOne<{ cursor: number }>("SELECT cursor FROM users WHERE name = $1", [name]))?.cursor ?? 0;
  }

  async lastSeq(): Promise<number> {
    return (await this.readOne<{ last: number }>("SELECT last FROM seq_counter"))?.last ?? 0;
  }

  async pruneDeliveries(serverTs: number, limit: number): Promise<number> {
    return this.write(async (client, last) => {
      const oldest = (await one<{ seq: number | null }>(client, "SELECT MIN(seq) AS seq FROM messages"))?.seq;
      if (oldest === null || oldest === undefined) return 0;
      const firstKept =
        (
          await one<{ seq: number }>(client, "SELECT seq FROM messages WHERE server_ts >= $1 ORDER BY seq LIMIT 1", [
            serverTs,
          ])
        )?.seq ?? last + 1;
      const deleted = await client.query("DELETE FROM messages WHERE seq < $1", [Math.min(firstKept, oldest + limit)]);
      await client.query(
        `DELETE FROM shared_payloads WHERE id < COALESCE(
           (SELECT MIN(shared_payload) FROM messages WHERE shared_payload IS NOT NULL),
           (SELECT MAX(id) + 1 FROM shared_payloads))`,
      );
      return deleted.rowCount ?? 0;
    });
  }

  async setCursors(cursors: ReadonlyMap<UserName, number>): Promise<void> {
    if (cursors.size === 0) return;
    await this.write(async (client) => {
      await client.query(
        `UPDATE users SET cursor = GREATEST(users.cursor, v.seq)
         FROM unnest($1::text[], $2::bigint[]) AS v(name, seq) WHERE users.name = v.name`,
        [[...cursors.keys()], [...cursors.values()]],
      );
    }, false);
  }

  /** Every write settled only once committed, and commits are synchronous. */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the storage is closed"));
    return Promise.resolve();
  }

  /** A round trip to the database, not queued behind writes: health asks whether it answers now. */
  async ping(): Promise<void> {
    if (this.closed) throw new Error("the storage is closed");
    try {
      await this.pool.query("SELECT 1");
    } catch (error) {
      throw storageError(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.pool.end();
  }

  /**
   * Runs `body` as one transaction, after every write called before it. With `handsOutSeqs`
   * (the default) the transaction first locks the seq counter, gives `body` the last seq handed
   * out, and raises the counter by what `body` says it handed out, just before COMMIT.
   */
  private write<T>(
    body: (client: Client, last: number, handOut: (count: number) => void) => Promise<T>,
    handsOutSeqs = true,
  ): Promise<T> {
    // A write called after a waiting batch of sends keeps its place: later sends wait for it.
    this.waitingAppend = undefined;
    const run = this.tail.then(() => {
      if (this.closed) throw new Error("the storage is closed");
      return this.transaction(async (client) => {
        if (!handsOutSeqs) return body(client, 0, () => undefined);
        const locked = await one<{ last: number }>(client, "SELECT last FROM seq_counter FOR UPDATE");
        const last = locked?.last ?? 0;
        let handedOut = 0;
        const result = await body(client, last, (count) => (handedOut += count));
        if (handedOut > 0) await client.query("UPDATE seq_counter SET last = $1", [last + handedOut]);
        return result;
      });
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async transaction<T>(body: (client: Client) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query("BEGIN");
      try {
        const result = await body(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  /** Runs `body` on a pooled connection; one that broke is thrown away, not reused. */
  private async withClient<T>(body: (client: Client) => Promise<T>): Promise<T> {
    let client: Client;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storageError(error);
    }
    try {
      const result = await body(client);
      client.release();
      return result;
    } catch (error) {
      const mapped = storageError(error);
      client.release(mapped instanceof StorageUnavailableError ? mapped : undefined);
      throw mapped;
    }
  }

  /** Reads after every write called before (a node reads its own writes). */
  private async read<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> {
    await this.tail;
    if (this.closed) throw new Error("the storage is closed");
    try {
      return (await this.pool.query<R>(sql, values)).rows;
    } catch (error) {
      throw storageError(error);
    }
  }

  private async readOne<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R | undefined> {
    return (await this.read<R>(sql, values))[0];
  }
}

async function one<R extends pg.QueryResultRow>(
  client: Client,
  sql: string,
  values: unknown[] = [],
): Promise<R | undefined> {
  return (await client.query<R>(sql, values)).rows[0];
}

async function membersNow(client: Client, groupId: GroupId): Promise<UserName[]> {
  const rows = await client.query<{ name: string }>(
    "SELECT name FROM memberships WHERE group_id = $1 AND left_seq IS NULL ORDER BY name",
    [groupId],
  );
  return rows.rows.map((row) => row.name as UserName);
}

/** SQLSTATE classes and codes, and socket errors, that mean "the database is not reachable now". */
const UNAVAILABLE_STATES = new Set(["57P01", "57P02", "57P03", "53300"]);
const UNAVAILABLE_SOCKET_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOENT",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/** The driver's failures as the storage's: full, unavailable (retry later), or as they are. */
function storageError(error: unknown): unknown {
  if (error instanceof StorageFullError || error instanceof StorageUnavailableError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === "53100") return new StorageFullError(error);
  if (typeof code === "string" && (code.startsWith("08") || UNAVAILABLE_STATES.has(code))) {
    return new StorageUnavailableError(error);
  }
  if (typeof code === "string" && UNAVAILABLE_SOCKET_ERRORS.has(code)) return new StorageUnavailableError(error);
  const message = error instanceof Error ? error.message : "";
  // The driver's own words for a connection lost mid-query, or one it could not make in time.
  if (/Connection terminated|timeout exceeded when trying to connect|Query read timeout/i.test(message)) {
    return new StorageUnavailableError(error);
  }
  return error;
}
