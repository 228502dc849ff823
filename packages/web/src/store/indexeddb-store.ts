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
import { FieldReader, packFields } from "./fields.js";
import { aesGcmSealer, DEFAULT_PBKDF2_ITERATIONS, newSalt, passphraseKey, type Sealer } from "./sealing.js";

/**
 * Browser adapter of ClientStore: one IndexedDB database per user. Every secret and all content
 * (identity key, group states, KeyPackage private keys, message texts and senders, the outbox)
 * is sealed with the passphrase key (sealing.ts), each value bound to its object store and key.
 * Readable metadata is what IndexedDB needs to find and order records: room ids, message ids and
 * sequence numbers, pinned names, whether a KeyPackage is the last-resort one, the cursor.
 *
 * WebCrypto is asynchronous and an IndexedDB transaction commits as soon as it has nothing to do,
 * so every write seals first and then issues all its requests in one transaction: a batch is
 * applied whole or not at all.
 */
const VERSION = 1;
type StoreName = "meta" | "identity" | "groups" | "keyPackages" | "pins" | "untrusted" | "history" | "outbox";
const CHECK_PLAINTEXT = new TextEncoder().encode("secure-chat browser state v1");

interface SealedRecord {
  key: string;
  sealed: Uint8Array;
}
interface KeyPackageRecord extends SealedRecord {
  lastResort: boolean;
}
interface HistoryRecord {
  room: string;
  id: string;
  seq: number;
  sealed: Uint8Array;
}
interface OutboxRecord {
  localId?: number;
  sendId: Uint8Array;
  sealed: Uint8Array;
  ciphertext: Uint8Array | null;
}
interface SealingRecord {
  key: "sealing";
  salt: Uint8Array;
  iterations: number;
  check: Uint8Array;
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const sendIdHex = (record: { sendId: Uint8Array }): string => hex(record.sendId);

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(storeError(req.error));
  });
}

function storeError(error: DOMException | null): ClientError {
  if (error?.name === "QuotaExceededError") return new ClientError("DISK_FULL", "the browser's storage is full");
  return new ClientError("STATE_CORRUPT", `the browser's storage refused a write: ${error?.message ?? "aborted"}`);
}

export interface OpenOptions {
  /** The database name; one per user. */
  database: string;
  passphrase: string;
  /** `indexedDB`, or a stand-in (fake-indexeddb in Node tests). */
  factory?: IDBFactory;
  /** For a new database only (tests lower it); an existing one keeps what it was made with. */
  iterations?: number;
  /** Runs once the store is closed (the page lets go of its tab lock). */
  onClose?: () => void;
}

export class IndexedDbClientStore implements ClientStore {
  private constructor(
    private readonly db: IDBDatabase,
    private readonly sealer: Sealer,
    private readonly onClose: () => void,
  ) {}

  /** Whether a database of this name holds saved state (a new user is asked for the passphrase twice). */
  static async exists(database: string, factory: IDBFactory = indexedDB): Promise<boolean> {
    return (await factory.databases()).some((info) => info.name === database);
  }

  /** Opens (or creates) the database; BAD_PASSPHRASE when the passphrase does not open it. */
  static async open(options: OpenOptions): Promise<IndexedDbClientStore> {
    const factory = options.factory ?? indexedDB;
    const opening = factory.open(options.database, VERSION);
    opening.onupgradeneeded = () => {
      const db = opening.result;
      for (const name of ["meta", "identity", "groups", "keyPackages", "pins", "untrusted"] as const) {
        db.createObjectStore(name, { keyPath: "key" });
      }
      db.createObjectStore("history", { keyPath: ["room", "id"] }).createIndex("bySeq", ["room", "seq"]);
      db.createObjectStore("outbox", { keyPath: "localId", autoIncrement: true });
    };
    const db = await request(opening);
    try {
      const sealer = await IndexedDbClientStore.unlock(db, options);
      return new IndexedDbClientStore(db, sealer, options.onClose ?? (() => undefined));
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private static async unlock(db: IDBDatabase, options: OpenOptions): Promise<Sealer> {
    const meta = db.transaction("meta").objectStore("meta");
    const saved = (await request(meta.get("sealing"))) as SealingRecord | undefined;
    if (saved !== undefined) {
      const sealer = aesGcmSealer(await passphraseKey(options.passphrase, saved.salt, saved.iterations));
      const check = await sealer.open(saved.check, "sealing check").catch(() => undefined);
      if (check === undefined) throw new ClientError("BAD_PASSPHRASE", "wrong passphrase");
      return sealer;
    }
    const salt = newSalt();
    const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
    const sealer = aesGcmSealer(await passphraseKey(options.passphrase, salt, iterations));
    const record: SealingRecord = {
      key: "sealing",
      salt,
      iterations,
      check: await sealer.seal(CHECK_PLAINTEXT, "sealing check"),
    };
    await IndexedDbClientStore.write(db, ["meta"], (tx) => tx.objectStore("meta").add(record));
    return sealer;
  }

  /** Runs `issue` in one read-write transaction; resolves once it committed, rejects if it aborted. */
  private static write(db: IDBDatabase, stores: StoreName[], issue: (tx: IDBTransaction) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const tx = db.transaction(stores, "readwrite");
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(storeError(tx.error));
      try {
        issue(tx);
      } catch (error) {
        tx.abort();
        reject(error instanceof ClientError ? error : storeError(error instanceof DOMException ? error : null));
      }
    });
  }

  private writeTx(stores: StoreName[], issue: (tx: IDBTransaction) => void): Promise<void> {
    return IndexedDbClientStore.write(this.db, stores, issue);
  }

  private read<T>(store: StoreName, query: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    return request(query(this.db.transaction(store).objectStore(store)));
  }

  private async sealRecord(store: StoreName, key: string, fields: Parameters<typeof packFields>[0]) {
    return { key, sealed: await this.sealer.seal(packFields(fields), `${store}/${key}`) };
  }

  private async reader(store: StoreName, record: { sealed: Uint8Array }, key: string): Promise<FieldReader> {
    const where = `${store}/${key}`;
    return new FieldReader(await this.sealer.open(record.sealed, where), where);
  }

  async identity(): Promise<StoredIdentity | undefined> {
    const record = (await this.read("identity", (s) => s.get("self"))) as SealedRecord | undefined;
    if (record === undefined) return undefined;
    const r = await this.reader("identity", record, "self");
    return { name: r.text() as UserName, server: r.text(), secretKey: r.bytesField(), publicKey: r.bytesField() };
  }

  async saveIdentity(identity: StoredIdentity): Promise<void> {
    const { name, server, secretKey, publicKey } = identity;
    const record = await this.sealRecord("identity", "self", [name, server, secretKey, publicKey]);
    await this.writeTx(["identity"], (tx) => tx.objectStore("identity").put(record));
  }

  async groups(): Promise<StoredGroupState[]> {
    const records = (await this.read("groups", (s) => s.getAll())) as SealedRecord[];
    return Promise.all(
      records.map(async (record) => {
        const r = await this.reader("groups", record, record.key);
        const state = r.bytesField();
        const pending = r.bytesField();
        return { groupId: record.key as GroupId, state, pending: r.number() === 1 ? pending : undefined };
      }),
    );
  }

  async cursor(): Promise<number> {
    const record = (await this.read("meta", (s) => s.get("cursor"))) as { value: number } | undefined;
    return record?.value ?? 0;
  }

  async apply(batch: StoreBatch): Promise<void> {
    // Seal everything first: the transaction below must not wait on anything but itself.
    const groups = await Promise.all(
      (batch.groups ?? []).map(async (group) =>
        group.state === null
          ? { key: group.groupId, sealed: null }
          : this.sealRecord("groups", group.groupId, [
              group.state,
              group.pending ?? new Uint8Array(0),
              group.pending === null ? 0 : 1,
            ]),
      ),
    );
    const seen = new Set<string>();
    const fresh = (batch.messages ?? []).filter(
      (m) => !seen.has(`${m.room}\n${m.id}`) && seen.add(`${m.room}\n${m.id}`),
    );
    const messages = await Promise.all(fresh.map((m) => this.sealHistory(m)));
    const ciphertext = batch.outboxCiphertext;
    const sealedCiphertext =
      ciphertext === undefined ? undefined : await this.sealOutboxCiphertext(ciphertext.localId, ciphertext.ciphertext);
    await this.writeTx(["groups", "history", "meta", "keyPackages", "outbox"], (tx) => {
      const groupStore = tx.objectStore("groups");
      for (const group of groups) {
        if (group.sealed === null) groupStore.delete(group.key);
        else groupStore.put(group);
      }
      const history = tx.objectStore("history");
      for (const message of messages) {
        const probe = history.getKey([message.room, message.id]);
        probe.onsuccess = () => {
          if (probe.result === undefined) history.put(message);
        };
      }
      if (batch.cursor !== undefined) {
        const cursor = batch.cursor;
        const meta = tx.objectStore("meta");
        const current = meta.get("cursor");
        current.onsuccess = () => {
          const held = (current.result as { value: number } | undefined)?.value ?? 0;
          if (cursor > held) meta.put({ key: "cursor", value: cursor });
        };
      }
      if (batch.removeKeyPackage !== undefined) {
        const packages = tx.objectStore("keyPackages");
        const key = hex(batch.removeKeyPackage);
        const held = packages.get(key);
        held.onsuccess = () => {
          const record = held.result as KeyPackageRecord | undefined;
          if (record !== undefined && !record.lastResort) packages.delete(key);
        };
      }
      const outbox = tx.objectStore("outbox");
      if (ciphertext !== undefined && sealedCiphertext !== undefined) {
        const held = outbox.get(ciphertext.localId);
        held.onsuccess = () => {
          const record = held.result as OutboxRecord | undefined;
          // Sealed for the entry's send id: only when the entry is still the one it was sealed for.
          if (record !== undefined && sendIdHex(record) === sealedCiphertext.sendId) {
            outbox.put({ ...record, ciphertext: sealedCiphertext.sealed });
          }
        };
      }
      if (batch.removeOutbox !== undefined) outbox.delete(batch.removeOutbox);
    });
  }

  private async sealHistory(message: HistoryEntry): Promise<HistoryRecord> {
    const where = `history/${message.room}/${message.id}`;
    const plain = packFields([message.from, message.text, message.sentAt, message.serverTs]);
    return { room: message.room, id: message.id, seq: message.seq, sealed: await this.sealer.seal(plain, where) };
  }

  private async openHistory(record: HistoryRecord): Promise<HistoryEntry> {
    const where = `history/${record.room}/${record.id}`;
    const r = new FieldReader(await this.sealer.open(record.sealed, where), where);
    return {
      room: record.room as GroupId,
      id: record.id,
      from: r.text() as UserName,
      text: r.text(),
      sentAt: r.number(),
      serverTs: r.number(),
      seq: record.seq,
    };
  }

  /** The outbox entry's ciphertext, sealed for the entry's send id (read first: its key is a number the database picked). */
  private async sealOutboxCiphertext(localId: number, ciphertext: Uint8Array) {
    const record = (await this.read("outbox", (s) => s.get(localId))) as OutboxRecord | undefined;
    if (record === undefined) return undefined;
    const sendId = sendIdHex(record);
    return { sendId, sealed: await this.sealer.seal(ciphertext, `outbox/${sendId}/ciphertext`) };
  }

  async keyPackages(): Promise<StoredKeyPackage[]> {
    const records = (await this.read("keyPackages", (s) => s.getAll())) as KeyPackageRecord[];
    return Promise.all(
      records.map(async (record) => {
        const r = await this.reader("keyPackages", record, record.key);
        const [ref, publicPackage, initPrivateKey, hpkePrivateKey] = [
          r.bytesField(),
          r.bytesField(),
          r.bytesField(),
          r.bytesField(),
        ];
        return { ref, publicPackage, initPrivateKey, hpkePrivateKey, lastResort: record.lastResort };
      }),
    );
  }

  async addKeyPackages(keyPackages: StoredKeyPackage[]): Promise<void> {
    const records: KeyPackageRecord[] = await Promise.all(
      keyPackages.map(async (kp) => ({
        ...(await this.sealRecord("keyPackages", hex(kp.ref), [
          kp.ref,
          kp.publicPackage,
          kp.initPrivateKey,
          kp.hpkePrivateKey,
        ])),
        lastResort: kp.lastResort,
      })),
    );
    await this.writeTx(["keyPackages"], (tx) => {
      const packages = tx.objectStore("keyPackages");
      if (records.some((record) => record.lastResort)) {
        // A new last-resort package replaces the one held before.
        const all = packages.getAll();
        all.onsuccess = () => {
          for (const held of all.result as KeyPackageRecord[]) if (held.lastResort) packages.delete(held.key);
          for (const record of records) packages.put(record);
        };
      } else {
        for (const record of records) packages.put(record);
      }
    });
  }

  async pinnedKey(name: UserName): Promise<Uint8Array | undefined> {
    const record = (await this.read("pins", (s) => s.get(name))) as SealedRecord | undefined;
    return record === undefined ? undefined : (await this.reader("pins", record, name)).bytesField();
  }

  async pin(name: UserName, key: Uint8Array): Promise<void> {
    const record = await this.sealRecord("pins", name, [key]);
    await this.writeTx(["pins"], (tx) => tx.objectStore("pins").put(record));
  }

  async untrustedNames(): Promise<UserName[]> {
    const records = (await this.read("untrusted", (s) => s.getAll())) as SealedRecord[];
    return Promise.all(
      records.map(async (record) => (await this.reader("untrusted", record, record.key)).text() as UserName),
    );
  }

  async setTrusted(name: UserName, trusted: boolean): Promise<void> {
    const record = await this.sealRecord("untrusted", name, [name]);
    await this.writeTx(["untrusted"], (tx) => {
      if (trusted) tx.objectStore("untrusted").delete(name);
      else tx.objectStore("untrusted").put(record);
    });
  }

  async history(room: GroupId, limit: number): Promise<HistoryEntry[]> {
    const records = await new Promise<HistoryRecord[]>((resolve, reject) => {
      const found: HistoryRecord[] = [];
      const range = IDBKeyRange.bound([room, -Infinity], [room, Infinity]);
      const index = this.db.transaction("history").objectStore("history").index("bySeq");
      const cursor = index.openCursor(range, "prev");
      cursor.onerror = () => reject(storeError(cursor.error));
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (at === null || found.length >= limit) return resolve(found.reverse());
        found.push(at.value as HistoryRecord);
        at.continue();
      };
    });
    return Promise.all(records.map((record) => this.openHistory(record)));
  }

  async hasMessage(room: GroupId, id: string): Promise<boolean> {
    return (await this.read("history", (s) => s.getKey([room, id]))) !== undefined;
  }

  async nextOutbox(): Promise<OutboxEntry | undefined> {
    const record = await new Promise<OutboxRecord | undefined>((resolve, reject) => {
      const cursor = this.db.transaction("outbox").objectStore("outbox").openCursor();
      cursor.onerror = () => reject(storeError(cursor.error));
      cursor.onsuccess = () => resolve(cursor.result?.value as OutboxRecord | undefined);
    });
    if (record?.localId === undefined) return undefined;
    const sendId = sendIdHex(record);
    const where = `outbox/${sendId}`;
    const r = new FieldReader(await this.sealer.open(record.sealed, where), where);
    const ciphertext =
      record.ciphertext === null ? undefined : await this.sealer.open(record.ciphertext, `${where}/ciphertext`);
    return {
      localId: record.localId,
      sendId: record.sendId.slice(),
      room: r.text() as GroupId,
      id: r.text(),
      sentAt: r.number(),
      text: r.text(),
      ciphertext,
    };
  }

  outboxSize(): Promise<number> {
    return this.read("outbox", (s) => s.count());
  }

  async addOutbox(entry: Omit<OutboxEntry, "localId" | "ciphertext">): Promise<number> {
    const sendId = entry.sendId.slice();
    const plain = packFields([entry.room, entry.id, entry.sentAt, entry.text]);
    const record: OutboxRecord = {
      sendId,
      sealed: await this.sealer.seal(plain, `outbox/${hex(sendId)}`),
      ciphertext: null,
    };
    let localId = 0;
    await this.writeTx(["outbox"], (tx) => {
      const added = tx.objectStore("outbox").add(record);
      added.onsuccess = () => (localId = added.result as number);
    });
    return localId;
  }

  close(): Promise<void> {
    this.db.close();
    this.onClose();
    return Promise.resolve();
  }
}
