/** Test doubles and MLS material shared by the server's handler-level tests. */
import {
  createApplicationMessage,
  createGroup,
  defaultCapabilities,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
} from "ts-mls";
import { cipherSuites, decodeFrame, encodeFrame, type ServerFrame, type UserName } from "@secure-chat/protocol";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";
import { Connection } from "../src/connection.js";
import { SqliteStorage } from "../src/storage/sqlite-storage.js";
import type { Logger } from "../src/log.js";
import { TokenBucket } from "../src/token-bucket.js";

export const silentLog: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A SQLite storage in a temp folder, closed and removed after the suite that asks for it. */
export function suiteSqlite(prefix: string): SqliteStorage {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const storage = new SqliteStorage(path.join(dir, "server.sqlite"));
  after(async () => {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return storage;
}

/** A connection (logged in as `name`, if given) whose frames are decoded into `received`. */
export function recordingConnection(name?: UserName): { connection: Connection; received: ServerFrame[] } {
  const received: ServerFrame[] = [];
  const record = (bytes: Uint8Array): void => {
    const decoded = decodeFrame(bytes);
    if (decoded.kind === "ok") received.push(decoded.frame as ServerFrame);
  };
  const connection = new Connection(
    {
      send: (bytes, sent) => {
        record(bytes);
        sent?.();
      },
      answer: record,
      close: () => undefined,
    },
    "127.0.0.1",
    new TokenBucket(1e9, 1e9, 0),
    () => undefined,
  );
  if (name !== undefined) connection.state = { phase: "ready", name };
  return { connection, received };
}

/** A real one-member MLS group (X25519 suite) of `name`, with its KeyPackage as sent on the wire. */
export async function soloGroup(
  name: UserName,
  key: { secretKey: Uint8Array; publicKey: Uint8Array },
  groupId: string,
) {
  const impl = await getCiphersuiteImpl(getCiphersuiteFromName(cipherSuites.x25519));
  const now = BigInt(Math.floor(Date.now() / 1000));
  const keyPackage = await generateKeyPackageWithKey(
    { credentialType: "basic", identity: new TextEncoder().encode(name) },
    defaultCapabilities(),
    { notBefore: now - 60n, notAfter: now + 86_400n },
    [],
    { signKey: key.secretKey, publicKey: key.publicKey },
    impl,
  );
  const state = await createGroup(
    new TextEncoder().encode(groupId),
    keyPackage.publicPackage,
    keyPackage.privatePackage,
    [],
    impl,
  );
  const keyPackageBytes = encodeMlsMessage({
    keyPackage: keyPackage.publicPackage,
    wireformat: "mls_key_package",
    version: "mls10",
  });
  return { impl, state, keyPackageBytes };
}

/** An application message of the group, as a client sends it. */
export async function applicationMessage(group: Awaited<ReturnType<typeof soloGroup>>): Promise<Uint8Array> {
  const { privateMessage } = await createApplicationMessage(group.state, new Uint8Array(64), group.impl);
  return encodeMlsMessage({ privateMessage, wireformat: "mls_private_message", version: "mls10" });
}

/** A `send` frame on the wire, its sendId filled with `sendIdFill`. */
export function sendFrame(rid: number, groupId: string, sendIdFill: number, message: Uint8Array): Uint8Array {
  return encodeFrame({ type: "send", rid, groupId, sendId: new Uint8Array(16).fill(sendIdFill), message });
}
