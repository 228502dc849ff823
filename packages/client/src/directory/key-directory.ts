import { ED25519_PUBLIC_KEY_BYTES, type UserName } from "@secure-chat/protocol";
import type { DirectoryEntry, KeyDirectory } from "../engine/mls/auth-service.js";
import { ClientError } from "../errors.js";
import type { Identity } from "../identity.js";
import type { RpcConnection } from "../link/rpc.js";
import type { ClientStore } from "../store/store.js";

/** Splits the server's concatenated retired keys into keys. */
function retiredKeys(bytes: Uint8Array): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (let at = 0; at + ED25519_PUBLIC_KEY_BYTES <= bytes.length; at += ED25519_PUBLIC_KEY_BYTES) {
    keys.push(bytes.slice(at, at + ED25519_PUBLIC_KEY_BYTES));
  }
  return keys;
}

/**
 * The server's name -> key directory as the client sees it: lookups (cached for the session),
 * our own key, the keys pinned on first use, and the names whose key changed that the user has
 * not accepted yet (`/trust`): nothing is sent to a changed key until then.
 */
export class ClientKeyDirectory implements KeyDirectory {
  private readonly cache = new Map<UserName, DirectoryEntry>();
  private readonly untrusted = new Set<UserName>();

  constructor(
    readonly self: Identity,
    private readonly store: ClientStore,
    private readonly connection: () => RpcConnection,
    private readonly onKeyChanged: (name: UserName, pinned: Uint8Array, presented: Uint8Array) => void,
    /** Accept a changed key at once (bots that can't compare fingerprints): the old behaviour. */
    private readonly trustNewKeys: boolean,
  ) {}

  /** Reads which changed keys still wait for the user's word. */
  async load(): Promise<void> {
    this.untrusted.clear();
    for (const name of await this.store.untrustedNames()) this.untrusted.add(name);
  }

  async lookup(name: UserName, fresh: boolean): Promise<DirectoryEntry | undefined> {
    if (!fresh && this.cache.has(name)) return this.cache.get(name);
    const answer = await this.connection().request({ type: "lookup_keys", rid: 0, names: [name] }, "keys");
    this.cache.delete(name);
    answer.names.forEach((found, i) => {
      const current = answer.publicKeys[i];
      if (current === undefined) return;
      this.cache.set(found as UserName, { current, retired: retiredKeys(answer.retiredKeys[i] ?? new Uint8Array()) });
    });
    return this.cache.get(name);
  }

  /** The server's current key for `name`, if it knows the name. */
  async serverKey(name: UserName): Promise<Uint8Array | undefined> {
    return (await this.lookup(name, false))?.current;
  }

  pinnedKey(name: UserName): Promise<Uint8Array | undefined> {
    return name === this.self.name ? Promise.resolve(this.self.publicKey) : this.store.pinnedKey(name);
  }

  pin(name: UserName, key: Uint8Array): Promise<void> {
    return this.store.pin(name, key);
  }

  async keyChanged(name: UserName, pinned: Uint8Array, presented: Uint8Array): Promise<void> {
    if (!this.trustNewKeys) {
      this.untrusted.add(name);
      await this.store.setTrusted(name, false);
    }
    this.onKeyChanged(name, pinned, presented);
  }

  /** Refuses (KEY_CHANGED) anything sent to `name` while their changed key waits for `/trust`. */
  requireTrusted(name: UserName): void {
    if (!this.untrusted.has(name)) return;
    const message = `${name}'s key changed: compare fingerprints (/fingerprint ${name}), then /trust ${name}`;
    throw new ClientError("KEY_CHANGED", message);
  }

  /** The user accepts `name`'s changed key (after comparing fingerprints out of band). */
  async trust(name: UserName): Promise<void> {
    await this.store.setTrusted(name, true);
    this.untrusted.delete(name);
  }
}
