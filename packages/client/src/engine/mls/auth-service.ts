import type { AuthenticationService, Credential } from "ts-mls";
import { deviceNumberOf, parseMemberName, type UserName } from "@secure-chat/protocol";
import { sameKey } from "../../identity.js";
import { credentialName } from "./config.js";

/** A name's binding in the server's directory: its key now, and keys it had before a release. */
export interface DirectoryEntry {
  current: Uint8Array;
  retired: Uint8Array[];
}

/** Where the authentication service gets keys: the server directory and the local pins. */
export interface KeyDirectory {
  /** The server's binding for `name` (undefined if unknown); `fresh` skips any cache. */
  lookup(name: UserName, fresh: boolean): Promise<DirectoryEntry | undefined>;
  pinnedKey(name: UserName): Promise<Uint8Array | undefined>;
  /** Pins `key` for `name`, replacing an older pin. */
  pin(name: UserName, key: Uint8Array): Promise<void>;
  /** A peer now presents a new key (the server rebound the name): warn before anything else. */
  keyChanged(name: UserName, pinned: Uint8Array, presented: Uint8Array): Promise<void>;
  /**
   * Why `device` (a linked device's name, `account.N`) must not be trusted with `key`: no device
   * certificate under the account's pinned key certifies it. Undefined when one does.
   */
  deviceProblem(device: UserName, key: Uint8Array): Promise<string | undefined>;
  /** A leaf under `device` was refused for `reason`: the user is told (once per device). */
  deviceRefused(device: UserName, reason: string): void;
}

type Verdict = "current" | "retired" | "unknown";

function judge(entry: DirectoryEntry | undefined, key: Uint8Array): Verdict {
  if (entry === undefined) return "unknown";
  if (sameKey(entry.current, key)) return "current";
  return entry.retired.some((old) => sameKey(old, key)) ? "retired" : "unknown";
}

/**
 * Accepts a credential only if its key is the server directory's key for that name, or a key
 * the name had before an operator released it (the old device's leaf may still sit in a
 * group). Pins the first key seen; when a peer's current key differs from the pin, the user
 * is warned (before any message under the new key is shown) and the pin moves. A failed
 * lookup rejects.
 */
export function directoryAuthService(directory: KeyDirectory): AuthenticationService {
  return {
    async validateCredential(credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
      const rawName = credentialName(credential);
      const name = rawName === undefined ? undefined : parseMemberName(rawName);
      if (name === undefined) return false;
      if (deviceNumberOf(name) > 1) return validateDevice(directory, name, signaturePublicKey);
      let verdict: Verdict;
      try {
        verdict = judge(await directory.lookup(name, false), signaturePublicKey);
        if (verdict === "unknown") verdict = judge(await directory.lookup(name, true), signaturePublicKey);
      } catch {
        return false;
      }
      if (verdict === "unknown") return false;
      const pinned = await directory.pinnedKey(name);
      if (verdict === "current" && (pinned === undefined || !sameKey(pinned, signaturePublicKey))) {
        if (pinned !== undefined) await directory.keyChanged(name, pinned, signaturePublicKey);
        await directory.pin(name, signaturePublicKey);
      }
      return true;
    },
  };
}

/**
 * A linked device's leaf: trusted only under a device certificate the account key signed
 * (checked against the key pinned for the account), whatever the server's directory says, so a
 * server can't slip a device of its own into an account. Pinned per device.
 */
async function validateDevice(directory: KeyDirectory, device: UserName, key: Uint8Array): Promise<boolean> {
  let problem: string | undefined;
  try {
    problem = await directory.deviceProblem(device, key);
  } catch {
    return false;
  }
  if (problem !== undefined) {
    directory.deviceRefused(device, problem);
    return false;
  }
  const pinned = await directory.pinnedKey(device);
  if (pinned === undefined) await directory.pin(device, key);
  else if (!sameKey(pinned, key)) {
    await directory.keyChanged(device, pinned, key);
    await directory.pin(device, key);
  }
  return true;
}
