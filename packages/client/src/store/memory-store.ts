import type { GroupId, UserName } from "@secure-chat/protocol";
import { sameKey } from "../identity.js";
import type {
  ClientStore,
  HistoryEntry,
  OutboxEntry,
  StoreBatch,
  StoredGroupState,
  StoredIdentity,
  StoredKeyPackage,
} from "./store.js";

const copy = (bytes: Uint8Array): Uint8Array => bytes.slice();
/** A history entry copied in or out (its reactions are a list of their own). */
const copyEntry = (entry: HistoryEntry): HistoryEntry =>
  entry.reactions === undefined ? { ...entry } : { ...entry, reactions: entry.reactions.map((r) => ({ ...r })) };

/**
 * A store that keeps everything in memory, for tests and for a client that should leave no
 * trace. It copies bytes in and out, as a real store does, so a caller that zeroes a secret it
 * handed over does not reach into what was "saved".
 */
export class MemoryClientStore implements ClientStore {
  private savedIdentity: StoredIdentity | undefined;
  private readonly groupStates = new Map<GroupId, StoredGroupState>();
  private savedCursor = 0;
  private packages: StoredKeyPackage[] = [];
  private readonly pins = new Map<UserName, Uint8Array>();
  private readonly untrusted = new Set<UserName>();
  /** Messages by room, in arrival order, keyed by id (a second copy of an id is ignored). */
  private readonly messages = new Map<GroupId, Map<string, HistoryEntry>>();
  private readonly outbox = new Map<number, OutboxEntry>();
  private nextLocalId = 1;

  identity(): Promise<StoredIdentity | undefined> {
    const id = this.savedIdentity;
    return Promise.resolve(
      id === undefined ? undefined : { ...id, secretKey: copy(id.secretKey), publicKey: copy(id.publicKey) },
    );
  }

  saveIdentity(identity: StoredIdentity): Promise<void> {
    this.savedIdentity = { ...identity, secretKey: copy(identity.secretKey), publicKey: copy(identity.publicKey) };
    return Promise.resolve();
  }

  groups(): Promise<StoredGroupState[]> {
    return Promise.resolve(
      [...this.groupStates.values()].map((g) => ({
        groupId: g.groupId,
        state: copy(g.state),
        pending: g.pending === undefined ? undefined : copy(g.pending),
      })),
    );
  }

  cursor(): Promise<number> {
    return Promise.resolve(this.savedCursor);
  }

  apply(batch: StoreBatch): Promise<void> {
    // Nothing here can fail half way, so applying in order is atomic.
    for (const group of batch.groups ?? []) {
      if (group.state === null) this.groupStates.delete(group.groupId);
      else {
        this.groupStates.set(group.groupId, {
          groupId: group.groupId,
          state: copy(group.state),
          pending: group.pending === null ? undefined : copy(group.pending),
        });
      }
    }
    for (const message of batch.messages ?? []) {
      const room = this.messages.get(message.room) ?? new Map<string, HistoryEntry>();
      this.messages.set(message.room, room);
      if (!room.has(message.id)) room.set(message.id, copyEntry(message));
    }
    for (const revised of batch.revisions ?? []) {
      const room = this.messages.get(revised.room);
      if (room?.has(revised.id) === true) room.set(revised.id, copyEntry(revised));
    }
    if (batch.cursor !== undefined) this.savedCursor = Math.max(this.savedCursor, batch.cursor);
    const sealed = batch.outboxCiphertext;
    const entry = sealed === undefined ? undefined : this.outbox.get(sealed.localId);
    if (sealed !== undefined && entry !== undefined) entry.ciphertext = copy(sealed.ciphertext);
    if (batch.removeOutbox !== undefined) this.outbox.delete(batch.removeOutbox);
    const spent = batch.removeKeyPackage;
    if (spent !== undefined) this.packages = this.packages.filter((kp) => kp.lastResort || !sameKey(kp.ref, spent));
    return Promise.resolve();
  }

  keyPackages(): Promise<StoredKeyPackage[]> {
    return Promise.resolve(this.packages.map((kp) => ({ ...kp })));
  }

  addKeyPackages(keyPackages: StoredKeyPackage[]): Promise<void> {
    for (const kp of keyPackages) {
      if (kp.lastResort) this.packages = this.packages.filter((held) => !held.lastResort);
      this.packages.push({
        ...kp,
        initPrivateKey: copy(kp.initPrivateKey),
        hpkePrivateKey: copy(kp.hpkePrivateKey),
      });
    }
    return Promise.resolve();
  }

  pinnedKey(name: UserName): Promise<Uint8Array | undefined> {
    const key = this.pins.get(name);
    return Promise.resolve(key === undefined ? undefined : copy(key));
  }

  pin(name: UserName, key: Uint8Array): Promise<void> {
    this.pins.set(name, copy(key));
    return Promise.resolve();
  }

  untrustedNames(): Promise<UserName[]> {
    return Promise.resolve([...this.untrusted]);
  }

  setTrusted(name: UserName, trusted: boolean): Promise<void> {
    if (trusted) this.untrusted.delete(name);
    else this.untrusted.add(name);
    return Promise.resolve();
  }

  history(room: GroupId, limit: number): Promise<HistoryEntry[]> {
    const all = [...(this.messages.get(room)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    return Promise.resolve(all.slice(Math.max(0, all.length - limit)).map(copyEntry));
  }

  message(room: GroupId, id: string): Promise<HistoryEntry | undefined> {
    const entry = this.messages.get(room)?.get(id);
    return Promise.resolve(entry === undefined ? undefined : copyEntry(entry));
  }

  nextOutbox(): Promise<OutboxEntry | undefined> {
    const first = this.outbox.values().next();
    return Promise.resolve(first.done === true ? undefined : { ...first.value, content: copy(first.value.content) });
  }

  outboxSize(): Promise<number> {
    return Promise.resolve(this.outbox.size);
  }

  addOutbox(entry: Omit<OutboxEntry, "localId" | "ciphertext">): Promise<number> {
    const localId = this.nextLocalId++;
    const saved = {
      ...entry,
      sendId: copy(entry.sendId),
      content: copy(entry.content),
      localId,
      ciphertext: undefined,
    };
    this.outbox.set(localId, saved);
    return Promise.resolve(localId);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
