import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { GroupId, UserName } from "@secure-chat/protocol";
import {
  ClientError,
  type ClientStore,
  type HistoryEntry,
  type OutboxEntry,
  type StoreBatch,
  type StoredGroupState,
  type StoredIdentity,
  type StoredKeyPackage,
} from "@secure-chat/client";
import { aesGcmFieldCipher, deriveKey, newSalt, storeKeys, type FieldCipher, type StoreKeys } from "./field-cipher.js";
import { associatedData, CHECK, SEALED, type Row, type SealedColumn } from "./row-binding.js";
import { COVERED_TABLES, coveredTables, macMatches, recordMac, StateChanges, StateDigest } from "./state-digest.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sealing (
  id INTEGER PRIMARY KEY CHECK (id = 1), salt BLOB NOT NULL, check_value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS integrity (
  id INTEGER PRIMARY KEY CHECK (id = 1), digests TEXT NOT NULL, mac BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL, secret_key BLOB NOT NULL, public_key BLOB NOT NULL, server TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS groups (group_id TEXT PRIMARY KEY, state BLOB NOT NULL, pending BLOB);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS key_packages (
  ref BLOB PRIMARY KEY, public_package BLOB NOT NULL, init_private BLOB NOT NULL,
  hpke_private BLOB NOT NULL, last_resort INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pins (name TEXT PRIMARY KEY, public_key BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS untrusted (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS history (
  room TEXT NOT NULL, id TEXT NOT NULL, sender TEXT NOT NULL, text BLOB NOT NULL,
  sent_at INTEGER NOT NULL, server_ts INTEGER NOT NULL, seq INTEGER NOT NULL, extra BLOB,
  PRIMARY KEY (room, id)
);
CREATE INDEX IF NOT EXISTS history_by_room ON history(room, seq);
CREATE TABLE IF NOT EXISTS outbox (
  local_id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, send_id BLOB NOT NULL,
  id TEXT NOT NULL, sent_at INTEGER NOT NULL, text BLOB NOT NULL, ciphertext BLOB
);
`;

/** Every table that holds saved state, for the check that a file without a salt holds none. */
const STATE_TABLES = [...coveredTables, "history", "integrity"] as const;

/** Format 2 (fields bound to their rows, state MAC); format 1 sealed with the scrypt key and `table.column`. */
const CHECK_PLAINTEXT = new TextEncoder().encode("secure-chat local state v2");
const FORMAT1_CHECK_AD = "sealing.check";

/** The first byte of every MIMI content (a CBOR array of 7); UTF-8 text never starts with it. */
const MIMI_FIRST_BYTE = 0x87;

/**
 * What history.extra holds, sealed: the parts of a HistoryEntry beyond its text. A file made
 * before replies and reactions has no such column: it is added (history is not MAC-covered, so
 * the integrity record does not change).
 */
type HistoryExtra = Pick<HistoryEntry, "replyTo" | "edited" | "deleted" | "reactions" | "file">;

function addHistoryExtra(db: Database.Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('history')").all() as { name: string }[];
  if (!columns.some((column) => column.name === "extra")) db.exec("ALTER TABLE history ADD COLUMN extra BLOB");
}

function extraOf(entry: HistoryEntry): HistoryExtra | undefined {
  const { replyTo, edited, deleted, reactions, file } = entry;
  const extra: HistoryExtra = {
    ...(replyTo === undefined ? {} : { replyTo }),
    ...(edited === true ? { edited } : {}),
    ...(deleted === true ? { deleted } : {}),
    ...(reactions === undefined || reactions.length === 0 ? {} : { reactions }),
    ...(file === undefined ? {} : { file }),
  };
  return Object.keys(extra).length === 0 ? undefined : extra;
}

const bytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const utf8 = (value: string): Uint8Array => new TextEncoder().encode(value);

/**
 * Node adapter: one SQLite file per home folder, WAL, synchronous=FULL, owner-only permissions.
 * Secrets and content (identity key, group states, private KeyPackage keys, message texts, the
 * outbox's ciphertexts) are sealed with a key derived from the user's passphrase, each bound
 * to its row (field-cipher.ts, row-binding.ts); the rows that carry security state are covered
 * by an HMAC checked at every open (state-digest.ts). Room names, sender names, times and
 * public keys stay readable metadata, but can't be changed unnoticed.
 *
 * It assumes it is the file's only writer while open: the covered rows' digests are kept in
 * memory, and a second client on the same home would be refused at the next open.
 */
export class SqliteClientStore implements ClientStore {
  private readonly db: Database.Database;
  private readonly path: string;
  private readonly cipher: FieldCipher;
  private readonly macKey: Uint8Array;
  /** The covered rows as last committed, which the integrity row's MAC is over. */
  private state: StateDigest;
  private readonly statements = new Map<string, Database.Statement>();

  /**
   * Opens (or creates) the store; a wrong passphrase is BAD_PASSPHRASE, a damaged or altered
   * file STATE_CORRUPT. A format 1 file is sealed again in format 2, in one transaction.
   */
  constructor(home: string, passphrase: string) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    this.path = join(home, "client.db");
    try {
      this.db = new Database(this.path);
      chmodSync(this.path, 0o600);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      // Overwrite deleted content (old group states, used keys) instead of leaving it in free pages.
      this.db.pragma("secure_delete = ON");
      this.db.exec(SCHEMA);
      addHistoryExtra(this.db);
    } catch (error) {
      if (isDiskFull(error)) throw diskFull(`cannot open ${this.path}`);
      throw new ClientError(
        "STATE_CORRUPT",
        `${this.path} is not a readable secure-chat state file: ${(error as Error).message}`,
      );
    }
    let unlocked: { keys: StoreKeys; state: StateDigest };
    try {
      unlocked = this.transaction(() => this.unlock(passphrase));
    } catch (error) {
      // A wrong passphrase is asked for again: the next try opens the file anew.
      this.db.close();
      throw error;
    }
    const { keys, state } = unlocked;
    this.cipher = aesGcmFieldCipher(keys.seal);
    this.macKey = keys.mac;
    this.state = state;
  }

  private unlock(passphrase: string): { keys: StoreKeys; state: StateDigest } {
    const row = this.sql("SELECT salt, check_value FROM sealing WHERE id = 1").get() as
      { salt: Buffer; check_value: Buffer } | undefined;
    if (row === undefined) return this.create(passphrase);
    const master = deriveKey(passphrase, bytes(row.salt));
    const keys = storeKeys(master);
    const cipher = aesGcmFieldCipher(keys.seal);
    if (opens(() => cipher.open(row.check_value, associatedData(CHECK, row), CHECK.what(row)))) {
      return { keys, state: this.verifiedState(keys.mac) };
    }
    const format1 = aesGcmFieldCipher(master);
    if (!opens(() => format1.open(row.check_value, utf8(FORMAT1_CHECK_AD), CHECK.what(row)))) {
      throw new ClientError("BAD_PASSPHRASE", "wrong passphrase for this home folder");
    }
    this.migrateFormat1(format1, cipher);
    this.sql("UPDATE sealing SET check_value = ? WHERE id = 1").run(
      cipher.seal(CHECK_PLAINTEXT, associatedData(CHECK, row)),
    );
    return { keys, state: this.saveState(this.readState(), keys.mac) };
  }

  private create(passphrase: string): { keys: StoreKeys; state: StateDigest } {
    // Rows without a salt were not made by this store: sealing them anew would hide that.
    const holding = STATE_TABLES.find((table) => this.sql(`SELECT 1 FROM ${table} LIMIT 1`).get() !== undefined);
    if (holding !== undefined) {
      throw new ClientError(
        "STATE_CORRUPT",
        `${this.path} holds saved state (${holding}) but not the salt to open it with: it was altered or damaged`,
      );
    }
    const salt = newSalt();
    const keys = storeKeys(deriveKey(passphrase, salt));
    const row = { salt };
    this.sql("INSERT INTO sealing (id, salt, check_value) VALUES (1, ?, ?)").run(
      salt,
      aesGcmFieldCipher(keys.seal).seal(CHECK_PLAINTEXT, associatedData(CHECK, row)),
    );
    return { keys, state: this.saveState(this.readState(), keys.mac) };
  }

  /**
   * Format 1 bound a sealed value only to its column, under the scrypt key itself: each one is
   * opened that way and sealed again bound to its row. Whatever was moved or edited in a
   * format 1 file before this cannot be told apart, and is taken as it is.
   */
  private migrateFormat1(format1: FieldCipher, cipher: FieldCipher): void {
    for (const sealed of Object.values(SEALED) as SealedColumn[]) {
      const { table, column } = sealed;
      const update = this.db.prepare(`UPDATE ${table} SET ${column} = ? WHERE rowid = ?`);
      const rows = this.db
        .prepare(`SELECT rowid AS format1_rowid, * FROM ${table} WHERE ${column} IS NOT NULL`)
        .all() as Row[];
      for (const row of rows) {
        const value = row[column] as Uint8Array;
        const plaintext =
          sealed.plainInFormat1 === true ? value : format1.open(value, utf8(`${table}.${column}`), sealed.what(row));
        update.run(cipher.seal(plaintext, associatedData(sealed, row)), row.format1_rowid);
      }
    }
  }

  /** The covered rows as they are in the file. */
  private readState(): StateDigest {
    return StateDigest.of((table) => this.sql(`SELECT * FROM ${table}`).all() as Row[]);
  }

  /** The file's covered rows, if they are what the integrity row says was saved; else STATE_CORRUPT. */
  private verifiedState(macKey: Uint8Array): StateDigest {
    const saved = this.sql("SELECT digests, mac FROM integrity WHERE id = 1").get() as
      { digests: string; mac: Buffer } | undefined;
    const altered = (what: string): ClientError =>
      new ClientError("STATE_CORRUPT", `${this.path} was altered or damaged since this client saved it: ${what}`);
    if (saved === undefined) throw altered("its integrity record is missing");
    if (!macMatches(macKey, saved.digests, saved.mac)) throw altered("its integrity record does not authenticate");
    const state = this.readState();
    const changed = state.differences(saved.digests);
    if (changed.length > 0) {
      throw altered(`${changed.map((table) => COVERED_TABLES[table].what).join(", ")} changed`);
    }
    return state;
  }

  private saveState(state: StateDigest, macKey: Uint8Array): StateDigest {
    const record = state.record();
    this.sql("INSERT OR REPLACE INTO integrity (id, digests, mac) VALUES (1, ?, ?)").run(
      record,
      recordMac(macKey, record),
    );
    return state;
  }

  /** Prepared statements are made once: `apply` runs for every delivery. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private seal(sealed: SealedColumn, row: Row, value: Uint8Array): Uint8Array {
    return this.cipher.seal(value, associatedData(sealed, row));
  }

  /** The value of `sealed` in `row`, if it was sealed for this row. */
  private open(sealed: SealedColumn, row: Row): Uint8Array {
    return this.cipher.open(row[sealed.column] as Uint8Array, associatedData(sealed, row), sealed.what(row));
  }

  async identity(): Promise<StoredIdentity | undefined> {
    const row = this.sql("SELECT * FROM identity WHERE id = 1").get() as
      { name: string; secret_key: Buffer; public_key: Buffer; server: string } | undefined;
    if (row === undefined) return undefined;
    return {
      name: row.name as UserName,
      secretKey: this.open(SEALED.identitySecret, row),
      publicKey: bytes(row.public_key),
      server: row.server,
    };
  }

  async saveIdentity(identity: StoredIdentity): Promise<void> {
    const row = { id: 1, name: identity.name, public_key: identity.publicKey, server: identity.server };
    this.write((changes) =>
      changes.written(
        "identity",
        this.sql(
          "INSERT OR REPLACE INTO identity (id, name, secret_key, public_key, server) VALUES (@id, @name, @secret_key, @public_key, @server) RETURNING *",
        ).all({ ...row, secret_key: this.seal(SEALED.identitySecret, row, identity.secretKey) }) as Row[],
      ),
    );
  }

  async groups(): Promise<StoredGroupState[]> {
    const rows = this.sql("SELECT group_id, state, pending FROM groups").all() as {
      group_id: string;
      state: Buffer;
      pending: Buffer | null;
    }[];
    return rows.map((row) => ({
      groupId: row.group_id as GroupId,
      state: this.open(SEALED.groupState, row),
      pending: row.pending === null ? undefined : this.open(SEALED.groupPending, row),
    }));
  }

  async cursor(): Promise<number> {
    const row = this.sql("SELECT value FROM meta WHERE key = 'cursor'").get() as { value: number } | undefined;
    return row?.value ?? 0;
  }

  async apply(batch: StoreBatch): Promise<void> {
    this.write((changes) => {
      for (const group of batch.groups ?? []) {
        if (group.state === null) {
          changes.deleted(
            "groups",
            this.sql("DELETE FROM groups WHERE group_id = ? RETURNING group_id").all(group.groupId) as Row[],
          );
        } else {
          const row = { group_id: group.groupId };
          const written = {
            ...row,
            state: this.seal(SEALED.groupState, row, group.state),
            pending: group.pending === null ? null : this.seal(SEALED.groupPending, row, group.pending),
          };
          // The row from the values bound, not RETURNING *: that would copy the state back out on every delivery.
          this.sql("INSERT OR REPLACE INTO groups (group_id, state, pending) VALUES (?, ?, ?)").run(
            written.group_id,
            written.state,
            written.pending,
          );
          changes.written("groups", [written]);
        }
      }
      const insert = this.sql(
        "INSERT OR IGNORE INTO history (room, id, sender, text, sent_at, server_ts, seq, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      );
      for (const m of batch.messages ?? []) {
        const row = historyRow(m);
        const [text, extra] = this.sealHistory(row, m);
        // Positional, like every statement on the message path: named parameters bind slower.
        insert.run(row.room, row.id, row.sender, text, row.sent_at, row.server_ts, row.seq, extra);
      }
      // Only the row the revision was made from: its bound columns are the ones sealed with.
      const revise = this.sql(
        "UPDATE history SET text = ?, extra = ? WHERE room = ? AND id = ? AND sender = ? AND sent_at = ? AND server_ts = ? AND seq = ?",
      );
      for (const m of batch.revisions ?? []) {
        const row = historyRow(m);
        const [text, extra] = this.sealHistory(row, m);
        revise.run(text, extra, row.room, row.id, row.sender, row.sent_at, row.server_ts, row.seq);
      }
      if (batch.cursor !== undefined) {
        changes.written(
          "meta",
          this.sql(
            "INSERT INTO meta (key, value) VALUES ('cursor', ?) ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value) RETURNING *",
          ).all(batch.cursor) as Row[],
        );
      }
      if (batch.outboxCiphertext !== undefined) {
        const { localId, ciphertext } = batch.outboxCiphertext;
        const row = this.sql("SELECT room, send_id, id, sent_at FROM outbox WHERE local_id = ?").get(localId) as
          Row | undefined;
        if (row !== undefined) {
          changes.written(
            "outbox",
            this.sql("UPDATE outbox SET ciphertext = ? WHERE local_id = ? RETURNING *").all(
              this.seal(SEALED.outboxCiphertext, row, ciphertext),
              localId,
            ) as Row[],
          );
        }
      }
      if (batch.removeOutbox !== undefined) {
        changes.deleted(
          "outbox",
          this.sql("DELETE FROM outbox WHERE local_id = ? RETURNING local_id").all(batch.removeOutbox) as Row[],
        );
      }
      if (batch.removeKeyPackage !== undefined) {
        changes.deleted(
          "key_packages",
          this.sql("DELETE FROM key_packages WHERE ref = ? AND last_resort = 0 RETURNING ref").all(
            batch.removeKeyPackage,
          ) as Row[],
        );
      }
    });
  }

  /** A history entry's sealed text and extra (null when there is nothing beyond the text). */
  private sealHistory(row: Row, entry: HistoryEntry): [Uint8Array, Uint8Array | null] {
    const extra = extraOf(entry);
    return [
      this.seal(SEALED.historyText, row, utf8(entry.text)),
      extra === undefined ? null : this.seal(SEALED.historyExtra, row, utf8(JSON.stringify(extra))),
    ];
  }

  private historyEntry(row: HistoryRow): HistoryEntry {
    const extra = row.extra === null ? {} : (JSON.parse(text(this.open(SEALED.historyExtra, row))) as HistoryExtra);
    return {
      room: row.room as GroupId,
      id: row.id,
      from: row.sender as UserName,
      text: text(this.open(SEALED.historyText, row)),
      sentAt: row.sent_at,
      serverTs: row.server_ts,
      seq: row.seq,
      ...extra,
    };
  }

  async keyPackages(): Promise<StoredKeyPackage[]> {
    const rows = this.sql("SELECT * FROM key_packages").all() as {
      ref: Buffer;
      public_package: Buffer;
      init_private: Buffer;
      hpke_private: Buffer;
      last_resort: number;
    }[];
    return rows.map((row) => ({
      ref: bytes(row.ref),
      publicPackage: bytes(row.public_package),
      initPrivateKey: this.open(SEALED.initPrivate, row),
      hpkePrivateKey: this.open(SEALED.hpkePrivate, row),
      lastResort: row.last_resort === 1,
    }));
  }

  async addKeyPackages(keyPackages: StoredKeyPackage[]): Promise<void> {
    const insert = this.sql(
      "INSERT INTO key_packages (ref, public_package, init_private, hpke_private, last_resort) VALUES (@ref, @public_package, @init_private, @hpke_private, @last_resort) RETURNING *",
    );
    this.write((changes) => {
      for (const kp of keyPackages) {
        if (kp.lastResort) {
          changes.deleted(
            "key_packages",
            this.sql("DELETE FROM key_packages WHERE last_resort = 1 RETURNING ref").all() as Row[],
          );
        }
        const row = { ref: kp.ref, public_package: kp.publicPackage, last_resort: kp.lastResort ? 1 : 0 };
        changes.written(
          "key_packages",
          insert.all({
            ...row,
            init_private: this.seal(SEALED.initPrivate, row, kp.initPrivateKey),
            hpke_private: this.seal(SEALED.hpkePrivate, row, kp.hpkePrivateKey),
          }) as Row[],
        );
      }
    });
  }

  async pinnedKey(name: UserName): Promise<Uint8Array | undefined> {
    const row = this.sql("SELECT public_key FROM pins WHERE name = ?").get(name) as { public_key: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.public_key);
  }

  async pin(name: UserName, key: Uint8Array): Promise<void> {
    this.write((changes) =>
      changes.written(
        "pins",
        this.sql("INSERT OR REPLACE INTO pins (name, public_key) VALUES (?, ?) RETURNING *").all(name, key) as Row[],
      ),
    );
  }

  async untrustedNames(): Promise<UserName[]> {
    const rows = this.sql("SELECT name FROM untrusted ORDER BY name").all() as { name: string }[];
    return rows.map((row) => row.name as UserName);
  }

  async setTrusted(name: UserName, trusted: boolean): Promise<void> {
    this.write((changes) =>
      trusted
        ? changes.deleted(
            "untrusted",
            this.sql("DELETE FROM untrusted WHERE name = ? RETURNING name").all(name) as Row[],
          )
        : changes.written(
            "untrusted",
            this.sql("INSERT OR IGNORE INTO untrusted (name) VALUES (?) RETURNING *").all(name) as Row[],
          ),
    );
  }

  async history(room: GroupId, limit: number): Promise<HistoryEntry[]> {
    const rows = this.sql(
      "SELECT * FROM (SELECT * FROM history WHERE room = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
    ).all(room, limit) as HistoryRow[];
    return rows.map((row) => this.historyEntry(row));
  }

  async message(room: GroupId, id: string): Promise<HistoryEntry | undefined> {
    const row = this.sql("SELECT * FROM history WHERE room = ? AND id = ?").get(room, id) as HistoryRow | undefined;
    return row === undefined ? undefined : this.historyEntry(row);
  }

  async nextOutbox(): Promise<OutboxEntry | undefined> {
    const row = this.sql("SELECT * FROM outbox ORDER BY local_id LIMIT 1").get() as
      | {
          local_id: number;
          room: string;
          send_id: Buffer;
          id: string;
          sent_at: number;
          text: Buffer;
          ciphertext: Buffer | null;
        }
      | undefined;
    if (row === undefined) return undefined;
    return {
      localId: row.local_id,
      room: row.room as GroupId,
      sendId: bytes(row.send_id),
      id: row.id,
      sentAt: row.sent_at,
      content: outboxContent(row.id, row.sent_at, this.open(SEALED.outboxText, row)),
      ciphertext: row.ciphertext === null ? undefined : this.open(SEALED.outboxCiphertext, row),
    };
  }

  async outboxSize(): Promise<number> {
    return (this.sql("SELECT count(*) AS n FROM outbox").get() as { n: number }).n;
  }

  async addOutbox(entry: Omit<OutboxEntry, "localId" | "ciphertext">): Promise<number> {
    const row = { room: entry.room, send_id: entry.sendId, id: entry.id, sent_at: entry.sentAt };
    const [written] = this.write((changes) => {
      const rows = this.sql(
        "INSERT INTO outbox (room, send_id, id, sent_at, text) VALUES (?, ?, ?, ?, ?) RETURNING *",
      ).all(row.room, row.send_id, row.id, row.sent_at, this.seal(SEALED.outboxText, row, entry.content)) as Row[];
      changes.written("outbox", rows);
      return rows;
    });
    return Number(written?.local_id);
  }

  /**
   * Runs `body` as one transaction that also renews the integrity row when `body` changed a
   * covered row; the digests in memory move on only once it has committed.
   */
  private write<T>(body: (changes: StateChanges) => T): T {
    const changes = new StateChanges();
    let next = this.state;
    const result = this.transaction(() => {
      const value = body(changes);
      next = this.state.with(changes);
      if (next !== this.state) this.saveState(next, this.macKey);
      return value;
    });
    this.state = next;
    return result;
  }

  /** Runs `body` as one transaction; a full disk becomes DISK_FULL (SQLite rolled it back). */
  private transaction<T>(body: () => T): T {
    try {
      return this.db.transaction(body)();
    } catch (error) {
      if (isDiskFull(error)) throw diskFull("nothing more could be saved");
      throw error;
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

type HistoryRow = {
  room: string;
  id: string;
  sender: string;
  text: Buffer;
  sent_at: number;
  server_ts: number;
  seq: number;
  extra: Buffer | null;
};

function historyRow(entry: HistoryEntry): Row {
  return {
    room: entry.room,
    id: entry.id,
    sender: entry.from,
    sent_at: entry.sentAt,
    server_ts: entry.serverTs,
    seq: entry.seq,
  };
}

/**
 * An outbox entry's plaintext. One saved before MIMI content holds its text: it goes out as the
 * version 1 plaintext that client would have sent (receivers still read it), under its own id.
 */
function outboxContent(id: string, sentAt: number, saved: Uint8Array): Uint8Array {
  if (saved[0] === MIMI_FIRST_BYTE) return saved;
  return utf8(JSON.stringify({ v: 1, id, sentAt, text: text(saved) }));
}

/** Whether `open` authenticated (a check value: failing is an answer, not an error). */
function opens(open: () => unknown): boolean {
  try {
    open();
    return true;
  } catch {
    return false;
  }
}

function isDiskFull(error: unknown): boolean {
  return (error as { code?: unknown }).code === "SQLITE_FULL";
}

function diskFull(what: string): ClientError {
  return new ClientError("DISK_FULL", `this computer's disk is full: ${what}`);
}
