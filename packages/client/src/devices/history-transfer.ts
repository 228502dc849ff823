import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { ByteWriter, parseGroupId, parseUserName, type GroupId, type UserName } from "@secure-chat/protocol";
import { ClientError } from "../errors.js";
import type { HistoryEntry } from "../store/store.js";

/**
 * The recent history a linked device gets from the device that approved it: the last messages
 * of every room, sealed with HPKE (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM) to the X25519 key the new device sent in the SAS-checked exchange, with the
 * link's commitment as HPKE `info`. The server relays only the ciphertext; AES-GCM refuses
 * anything it altered or cut. Inside, each room carries a hash chain of its messages (ids,
 * senders, times, texts) and their count, checked before anything is stored, so an archive with an entry dropped,
 * reordered or changed is refused as a whole even if it was sealed so (a faulty writer).
 */

/** Messages per room in an archive. */
export const HISTORY_PER_ROOM = 50;
/** An archive's plaintext is at most this big (the link relay's payloads are bounded). */
export const MAX_ARCHIVE_BYTES = 512 * 1024;

const INFO_LABEL = new TextEncoder().encode("secure-chat history v1\0");
const CHAIN_LABEL = new TextEncoder().encode("secure-chat history chain v1\0");

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

export interface RoomHistory {
  room: GroupId;
  entries: HistoryEntry[];
}

/**
 * SHA-256 chain over the room's name and its entries, oldest first: each link hashes the one
 * before with the entry's id, sender, times, seq and text (length-prefixed), so no entry can be
 * dropped, moved or changed without the head changing.
 */
export function chainHead(room: GroupId, entries: readonly Omit<HistoryEntry, "room">[]): string {
  const w = new ByteWriter();
  w.bytes(CHAIN_LABEL);
  w.str(room);
  let head = sha256(w.finish());
  for (const e of entries) {
    w.bytes(head);
    w.str(e.id);
    w.str(e.from);
    w.u53(e.sentAt);
    w.u53(e.serverTs);
    w.u53(e.seq);
    w.str(e.text);
    head = sha256(w.finish());
  }
  return bytesToHex(head);
}

interface ArchiveRoom {
  room: string;
  count: number;
  head: string;
  entries: Omit<HistoryEntry, "room">[];
}

/** The archive's plaintext: at most HISTORY_PER_ROOM per room, fewer for every room if it would not fit. */
export function encodeArchive(rooms: readonly RoomHistory[]): Uint8Array {
  for (let perRoom = HISTORY_PER_ROOM; ; perRoom = Math.floor(perRoom / 2)) {
    const archive: ArchiveRoom[] = rooms.map(({ room, entries }) => {
      const kept = entries.slice(-perRoom);
      return {
        room,
        count: kept.length,
        head: chainHead(room, kept),
        entries: kept.map(({ id, from, text, sentAt, serverTs, seq }) => ({ id, from, text, sentAt, serverTs, seq })),
      };
    });
    const bytes = new TextEncoder().encode(JSON.stringify(archive));
    if (bytes.length <= MAX_ARCHIVE_BYTES || perRoom === 0) return bytes;
  }
}

function refused(why: string): ClientError {
  return new ClientError("BAD_ARGUMENT", `the history from the approving device is refused: ${why}`);
}

const isText = (value: unknown): value is string => typeof value === "string";
const isTime = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function entryOf(room: GroupId, raw: unknown): HistoryEntry {
  const e = raw as Record<string, unknown>;
  const from = isText(e["from"]) ? parseUserName(e["from"]) : undefined;
  if (!isText(e["id"]) || from === undefined || !isText(e["text"])) throw refused(`an entry of ${room} is malformed`);
  if (!isTime(e["sentAt"]) || !isTime(e["serverTs"]) || !isTime(e["seq"]))
    throw refused(`an entry of ${room} is malformed`);
  return {
    room,
    id: e["id"],
    from: from as UserName,
    text: e["text"],
    sentAt: e["sentAt"],
    serverTs: e["serverTs"],
    seq: e["seq"],
  };
}

/** The rooms of an archive, each checked against its count and hash chain; throws if any is off. */
export function decodeArchive(bytes: Uint8Array): RoomHistory[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw refused("it is not an archive");
  }
  if (!Array.isArray(parsed)) throw refused("it is not an archive");
  return parsed.map((raw: unknown) => {
    const r = raw as Partial<ArchiveRoom>;
    const room = isText(r.room) ? parseGroupId(r.room) : undefined;
    if (room === undefined || !Array.isArray(r.entries) || !isText(r.head) || r.count !== r.entries.length) {
      throw refused(`a room is malformed or its count is wrong (truncated?)`);
    }
    const entries = r.entries.map((entry: unknown) => entryOf(room, entry));
    if (chainHead(room, entries) !== r.head) throw refused(`${room}'s messages do not match its hash chain`);
    return { room, entries };
  });
}

/** A copy of `bytes` as its own ArrayBuffer (what the HPKE library imports keys from). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

function linkInfo(commitment: Uint8Array): Uint8Array {
  return new Uint8Array([...INFO_LABEL, ...commitment]);
}

/** Seals `plaintext` to the new device's X25519 public key from the link. */
export async function sealArchive(
  plaintext: Uint8Array,
  recipientKey: Uint8Array,
  commitment: Uint8Array,
): Promise<{ enc: Uint8Array; ciphertext: Uint8Array }> {
  const recipientPublicKey = await suite.kem.importKey("raw", toArrayBuffer(recipientKey), true);
  const sealed = await suite.seal({ recipientPublicKey, info: linkInfo(commitment) }, plaintext);
  return { enc: new Uint8Array(sealed.enc), ciphertext: new Uint8Array(sealed.ct) };
}

/** Opens what sealArchive made with our X25519 secret key; a cut or altered ciphertext is refused. */
export async function openArchive(
  sealed: { enc: Uint8Array; ciphertext: Uint8Array },
  secretKey: Uint8Array,
  commitment: Uint8Array,
): Promise<Uint8Array> {
  try {
    const recipientKey = await suite.kem.importKey("raw", toArrayBuffer(secretKey), false);
    const opened = await suite.open({ recipientKey, enc: sealed.enc, info: linkInfo(commitment) }, sealed.ciphertext);
    return new Uint8Array(opened);
  } catch {
    throw refused("it does not open: cut, altered, or not sealed to this device");
  }
}
