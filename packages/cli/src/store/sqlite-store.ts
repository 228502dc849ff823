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
import { aesGcmFieldCipher, deriveKey, newSalt, type FieldCipher } from "./field-cipher.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sealing (
  id INTEGER PRIMARY KEY CHECK (id = 1), salt BLOB NOT NULL, check_value BLOB NOT NULL
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
  sent_at INTEGER NOT NULL, server_ts INTEGER NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (room, id)
);
CREATE INDEX IF NOT EXISTS history_by_room ON history(room, seq);
CREATE TABLE IF NOT EXISTS outbox (
  local_id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, send_id BLOB NOT NULL,
  id TEXT NOT NULL, sent_at INTEGER NOT NULL, text BLOB NOT NULL, ciphertext BLOB
);
`;

const bytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer);

const CHECK_PLAINTEXT = new TextEncoder().encode("secure-chat local state v1");
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const utf8 = (value: string): Uint8Array => new TextEncoder().encode(value);

/**
 * Node adapter: one SQLite file per home folder, WAL, synchronous=FULL, owner-only permissions.
 * Secrets and content (identity key, group states, private KeyPackage keys, message texts) are
 * sealed with a key derived from the user's passphrase; see field-cipher.ts. Room names,
 * sender names, times and public keys stay readable metadata.
 */
export class SqliteClientStore implements ClientStore {
  private readonly db: Database.Database;
  private readonly cipher: FieldCipher;
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (or creates) the store; a wrong passphrase is BAD_PASSPHRASE, a damaged file STATE_CORRUPT. */
  constructor(home: string, passphrase: string) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const path = join(home, "client.db");
    try {
      this.db = new Database(path);
      chmodSync(path, 0o600);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      // Overwrite deleted content (old group states, used keys) instead of leaving it in free pages.
      this.db.pragma("secure_delete = ON");
      this.db.exec(SCHEMA);
    } catch (error) {
      if (isDiskFull(error)) throw diskFull(`cannot open ${path}`);
      throw new ClientError(
        "STATE_CORRUPT",
        `${path} is not a readable secure-chat state file: ${(error as Error).message}`,
      );
    }
    this.cipher = this.write(() => this.unlock(passphrase));
  }

  private unlock(passphrase: string): FieldCipher {
    const row = this.sql("SELECT salt, check_value FROM sealing WHERE id = 1").get() as
      { salt: Buffer; check_value: Buffer } | undefined;
    if (row === undefined) {
      const salt = newSalt();
      const cipher = aesGcmFieldCipher(deriveKey(passphrase, salt));
      this.sql("INSERT INTO sealing (id, salt, check_value) VALUES (1, ?, ?)").run(
        salt,
        cipher.seal(CHECK_PLAINTEXT, "sealing.check"),
      );
      return cipher;
    }
    const cipher = aesGcmFieldCipher(deriveKey(passphrase, bytes(row.salt)));
    try {
      cipher.open(bytes(row.check_value), "sealing.check");
    } catch {
      throw new ClientError("BAD_PASSPHRASE", "wrong passphrase for this home folder");
    }
    return cipher;
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

  private seal(value: Uint8Array, where: string): Uint8Array {
    return this.cipher.seal(value, where);
  }

  private open(value: Buffer, where: string): Uint8Array {
    return this.cipher.open(bytes(value), where);
  }

  async identity(): Promise<StoredIdentity | undefined> {
    const row = this.sql("SELECT * FROM identity WHERE id = 1").get() as
      { name: string; secret_key: Buffer; public_key: Buffer; server: string } | undefined;
    if (row === undefined) return undefined;
    return {
      name: row.name as UserName,
      secretKey: this.open(row.secret_key, "identity.secret_key"),
      publicKey: bytes(row.public_key),
      server: row.server,
    };
  }

  async saveIdentity(identity: StoredIdentity): Promise<void> {
    this.write(() =>
      this.sql("INSERT OR REPLACE INTO identity (id, name, secret_key, public_key, server) VALUES (1, ?, ?, ?, ?)").run(
        identity.name,
        this.seal(identity.secretKey, "identity.secret_key"),
        identity.publicKey,
        identity.server,
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
      state: this.open(row.state, "groups.state"),
      pending: row.pending === null ? undefined : this.open(row.pending, "groups.pending"),
    }));
  }

  async cursor(): Promise<number> {
    const row = this.sql("SELECT value FROM meta WHERE key = 'cursor'").get() as { value: number } | undefined;
    return row?.value ?? 0;
  }

  async apply(batch: StoreBatch): Promise<void> {
    this.write(() => {
      for (const group of batch.groups ?? []) {
        if (group.state === null) this.sql("DELETE FROM groups WHERE group_id = ?").run(group.groupId);
        else {
          this.sql("INSERT OR REPLACE INTO groups (group_id, state, pending) VALUES (?, ?, ?)").run(
            group.groupId,
            this.seal(group.state, "groups.state"),
            group.pending === null ? null : this.seal(group.pending, "groups.pending"),
          );
        }
      }
      const insert = this.sql(
        "INSERT OR IGNORE INTO history (room, id, sender, text, sent_at, server_ts, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
      );
      for (const m of batch.messages ?? []) {
        insert.run(m.room, m.id, m.from, this.seal(utf8(m.text), "history.text"), m.sentAt, m.serverTs, m.seq);
      }
      if (batch.cursor !== undefined) {
        this.sql(
          "INSERT INTO meta (key, value) VALUES ('cursor', ?) ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)",
        ).run(batch.cursor);
      }
      if (batch.outboxCiphertext !== undefined) {
        this.sql("UPDATE outbox SET ciphertext = ? WHERE local_id = ?").run(
          batch.outboxCiphertext.ciphertext,
          batch.outboxCiphertext.localId,
        );
      }
      if (batch.removeOutbox !== undefined) {
        this.sql("DELETE FROM outbox WHERE local_id = ?").run(batch.removeOutbox);
      }
      if (batch.removeKeyPackage !== undefined) {
        this.sql("DELETE FROM key_packages WHERE ref = ? AND last_resort = 0").run(batch.removeKeyPackage);
      }
    });
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
      initPrivateKey: this.open(row.init_private, "key_packages.init_private"),
      hpkePrivateKey: this.open(row.hpke_private, "key_packages.hpke_private"),
      lastResort: row.last_resort === 1,
    }));
  }

  async addKeyPackages(keyPackages: StoredKeyPackage[]): Promise<void> {
    const insert = this.sql(
      "INSERT INTO key_packages (ref, public_package, init_private, hpke_private, last_resort) VALUES (?, ?, ?, ?, ?)",
    );
    this.write(() => {
      for (const kp of keyPackages) {
        if (kp.lastResort) this.sql("DELETE FROM key_packages WHERE last_resort = 1").run();
        insert.run(
          kp.ref,
          kp.publicPackage,
          this.seal(kp.initPrivateKey, "key_packages.init_private"),
          this.seal(kp.hpkePrivateKey, "key_packages.hpke_private"),
          kp.lastResort ? 1 : 0,
        );
      }
    });
  }

  async pinnedKey(name: UserName): Promise<Uint8Array | undefined> {
    const row = this.sql("SELECT public_key FROM pins WHERE name = ?").get(name) as { public_key: Buffer } | undefined;
    return row === undefined ? undefined : bytes(row.public_key);
  }

  async pin(name: UserName, key: Uint8Array): Promise<void> {
    this.write(() => this.sql("INSERT OR REPLACE INTO pins (name, public_key) VALUES (?, ?)").run(name, key));
  }

  async untrustedNames(): Promise<UserName[]> {
    const rows = this.sql("SELECT name FROM untrusted ORDER BY name").all() as { name: string }[];
    return rows.map((row) => row.name as UserName);
  }

  async setTrusted(name: UserName, trusted: boolean): Promise<void> {
    this.write(() =>
      trusted
        ? this.sql("DELETE FROM untrusted WHERE name = ?").run(name)
        : this.sql("INSERT OR IGNORE INTO untrusted (name) VALUES (?)").run(name),
    );
  }

  async history(room: GroupId, limit: number): Promise<HistoryEntry[]> {
    const rows = this.sql(
      "SELECT * FROM (SELECT * FROM history WHERE room = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
    ).all(room, limit) as {
      room: string;
      id: string;
      sender: string;
      text: Buffer;
      sent_at: number;
      server_ts: number;
      seq: number;
    }[];
    return rows.map((row) => ({
      room: row.room as GroupId,
      id: row.id,
      from: row.sender as UserName,
      text: text(this.open(row.text, "history.text")),
      sentAt: row.sent_at,
      serverTs: row.server_ts,
      seq: row.seq,
    }));
  }

  async hasMessage(room: GroupId, id: string): Promise<boolean> {
    return this.sql("SELECT 1 FROM history WHERE room = ? AND id = ?").get(room, id) !== undefined;
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
      text: text(this.open(row.text, "outbox.text")),
      ciphertext: row.ciphertext === null ? undefined : bytes(row.ciphertext),
    };
  }

  async outboxSize(): Promise<number> {
    return (this.sql("SELECT count(*) AS n FROM outbox").get() as { n: number }).n;
  }

  async addOutbox(entry: Omit<OutboxEntry, "localId" | "ciphertext">): Promise<number> {
    const result = this.write(() =>
      this.sql("INSERT INTO outbox (room, send_id, id, sent_at, text) VALUES (?, ?, ?, ?, ?)").run(
        entry.room,
        entry.sendId,
        entry.id,
        entry.sentAt,
        this.seal(utf8(entry.text), "outbox.text"),
      ),
    );
    return Number(result.lastInsertRowid);
  }

  /** Runs `body` as one transaction; a full disk becomes DISK_FULL (SQLite rolled it back). */
  private write<T>(body: () => T): T {
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

function isDiskFull(error: unknown): boolean {
  return (error as { code?: unknown }).code === "SQLITE_FULL";
}

function diskFull(what: string): ClientError {
  return new ClientError("DISK_FULL", `this computer's disk is full: ${what}`);
}
