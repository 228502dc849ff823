import type { AuthenticationService, Credential } from "ts-mls";
import { parseUserName, type UserName } from "@secure-chat/protocol";
import { sameKey } from "../identity.js";
import { credentialName } from "./config.js";

/** Where the authentication service gets keys: the server directory and the local pins. */
export interface KeyDirectory {
  /** The server's name -> key binding, or undefined if the name is unknown. */
  serverKey(name: UserName): Promise<Uint8Array | undefined>;
  pinnedKey(name: UserName): Uint8Array | undefined;
  pin(name: UserName, key: Uint8Array): void;
  /** Called when a peer's key differs from the one pinned: the credential is refused. */
  keyChanged(name: UserName, pinned: Uint8Array, presented: Uint8Array): void;
}

/**
 * Accepts a credential only if its key matches the server's directory for that name and,
 * once we have seen the name, the key we pinned on first use. A lookup failure rejects.
 */
export function directoryAuthService(directory: KeyDirectory): AuthenticationService {
  return {
    async validateCredential(credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
      const rawName = credentialName(credential);
      const name = rawName === undefined ? undefined : parseUserName(rawName);
      if (name === undefined) return false;
      const pinned = directory.pinnedKey(name);
      if (pinned !== undefined && !sameKey(pinned, signaturePublicKey)) {
        directory.keyChanged(name, pinned, signaturePublicKey);
        return false;
      }
      let serverKey: Uint8Array | undefined;
      try {
        serverKey = await directory.serverKey(name);
      } catch {
        return false;
      }
      if (serverKey === undefined || !sameKey(serverKey, signaturePublicKey)) return false;
      if (pinned === undefined) directory.pin(name, signaturePublicKey);
      return true;
    },
  };
}
