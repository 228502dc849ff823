import {
  ED25519_PUBLIC_KEY_BYTES,
  accountOf,
  decodeDeviceListing,
  verifyDeviceListings,
  type DeviceListing,
  type UserName,
  type VerifiedDevice,
} from "@secure-chat/protocol";
import type { DirectoryEntry, KeyDirectory } from "../engine/mls/auth-service.js";
import { ClientError } from "../errors.js";
import { sameKey, type Identity } from "../identity.js";
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
  /** Each account's verified devices, per session; looked up again when a device is not in it. */
  private readonly deviceCache = new Map<UserName, { devices: VerifiedDevice[]; refused: Map<string, string> }>();
  private readonly refusedTold = new Set<UserName>();

  constructor(
    readonly self: Identity,
    private readonly store: ClientStore,
    private readonly connection: () => RpcConnection,
    private readonly onKeyChanged: (name: UserName, pinned: Uint8Array, presented: Uint8Array) => void,
    /** Accept a changed key at once (bots that can't compare fingerprints): the old behaviour. */
    private readonly trustNewKeys: boolean,
    private readonly onDeviceRefused: (device: UserName, reason: string) => void = () => undefined,
  ) {}

  /** Our account: the bare name of our first device, whatever device we are. */
  get account(): UserName {
    return accountOf(this.self.name);
  }

  /**
   * The key `account`'s devices must be certified by: the one pinned for it, or (first sight)
   * the directory's, which is then pinned, as a member's key is on first sight.
   */
  async accountKey(account: UserName): Promise<Uint8Array | undefined> {
    const pinned = await this.pinnedKey(account);
    if (pinned !== undefined) return pinned;
    const current = await this.serverKey(account);
    if (current !== undefined) await this.pin(account, current);
    return current;
  }

  /** `account`'s linked devices whose certificates verify under its pinned key (revoked ones marked). */
  async devices(account: UserName, fresh: boolean): Promise<VerifiedDevice[]> {
    return (await this.verifiedDevices(account, fresh)).devices;
  }

  private async verifiedDevices(
    account: UserName,
    fresh: boolean,
  ): Promise<{ devices: VerifiedDevice[]; refused: Map<string, string> }> {
    const cached = this.deviceCache.get(account);
    if (!fresh && cached !== undefined) return cached;
    const accountKey = await this.accountKey(account);
    if (accountKey === undefined) return { devices: [], refused: new Map() };
    const answer = await this.connection().request({ type: "list_devices", rid: 0, name: account }, "devices");
    const listings = answer.listings.flatMap((bytes): DeviceListing[] => {
      const listing = decodeDeviceListing(bytes);
      return listing === undefined ? [] : [listing];
    });
    const verified = verifyDeviceListings(account, accountKey, listings);
    const result = { devices: verified.devices, refused: new Map(verified.refused.map((r) => [r.device, r.reason])) };
    this.deviceCache.set(account, result);
    return result;
  }

  /** Every device name the server lists for `account`, certified or not (a new device needs an unused one). */
  async listedDeviceNames(account: UserName): Promise<UserName[]> {
    const { devices, refused } = await this.verifiedDevices(account, true);
    return [...devices.map((d) => d.device), ...([...refused.keys()] as UserName[])];
  }

  /** Names of `account`'s devices that may be added to groups: certified, not revoked (the bare name not included). */
  async activeDevices(account: UserName): Promise<UserName[]> {
    return (await this.devices(account, true)).filter((d) => !d.revoked).map((d) => d.device);
  }

  async deviceProblem(device: UserName, key: Uint8Array): Promise<string | undefined> {
    const account = accountOf(device);
    const certifies = (d: VerifiedDevice) => d.device === device && sameKey(d.publicKey, key);
    let verified = await this.verifiedDevices(account, false);
    if (!verified.devices.some(certifies)) verified = await this.verifiedDevices(account, true);
    if (verified.devices.some(certifies)) return undefined;
    const refused = verified.refused.get(device);
    if (refused !== undefined) return refused;
    return verified.devices.some((d) => d.device === device)
      ? `its key is not the one ${account} certified for it`
      : `no device certificate signed by ${account}'s key names it`;
  }

  deviceRefused(device: UserName, reason: string): void {
    if (this.refusedTold.has(device)) return;
    this.refusedTold.add(device);
    this.onDeviceRefused(device, reason);
  }

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
