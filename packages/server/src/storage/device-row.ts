import type { UserName } from "@secure-chat/protocol";
import type { StoredDevice } from "./storage.js";

/** A linked device as the SQL adapters read it back (both name its columns alike). */
export interface DeviceRow {
  name: string;
  certificate: Buffer;
  revocation: Buffer | null;
  last_seen: number;
}

export function toStoredDevice(row: DeviceRow): StoredDevice {
  return {
    device: row.name as UserName,
    certificate: new Uint8Array(row.certificate),
    revocation: row.revocation === null ? undefined : new Uint8Array(row.revocation),
    lastSeen: row.last_seen,
  };
}
