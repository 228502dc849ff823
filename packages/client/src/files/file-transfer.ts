import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import type { GroupId } from "@secure-chat/protocol";
import type { FileRef } from "../content/content.js";
import { ClientError } from "../errors.js";
import type { RpcConnection } from "../link/rpc.js";

/**
 * Files: encrypted here with a fresh AES-256-GCM key (WebCrypto, in Node and browsers alike),
 * the ciphertext uploaded to the server's blob store in chunks, and the key, nonce and the
 * ciphertext's SHA-256 sent inside an MLS message (a MIMI external part). A download is checked
 * against that digest, then decrypted (which checks it again).
 */

/** Bytes per put_blob / get_blob frame: well under any server's frame limit. */
const CHUNK_BYTES = 1024 * 1024;

/** WebCrypto's types take bytes over an ArrayBuffer only (not a SharedArrayBuffer). */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

export async function uploadFile(
  connection: () => RpcConnection,
  groupId: GroupId,
  file: { name: string; contentType: string; bytes: Uint8Array },
): Promise<FileRef> {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const aes = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, aes, own(file.bytes)));
  const blobId = bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
  for (let offset = 0; ; offset += CHUNK_BYTES) {
    const last = offset + CHUNK_BYTES >= ciphertext.length;
    const data = ciphertext.subarray(offset, offset + CHUNK_BYTES);
    await connection().request({ type: "put_blob", rid: 0, groupId, blobId, offset, data, last }, "ok");
    if (last) break;
  }
  return {
    blobId,
    name: file.name,
    size: file.bytes.length,
    contentType: file.contentType,
    key: bytesToHex(key),
    nonce: bytesToHex(nonce),
    sha256: bytesToHex(sha256(ciphertext)),
  };
}

export async function downloadFile(
  connection: () => RpcConnection,
  groupId: GroupId,
  file: FileRef,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const answer = await connection().request(
      { type: "get_blob", rid: 0, groupId, blobId: file.blobId, offset: received, length: CHUNK_BYTES },
      "blob",
    );
    chunks.push(answer.data);
    received += answer.data.length;
    if (received >= answer.size || answer.data.length === 0) break;
  }
  const ciphertext = new Uint8Array(received);
  let at = 0;
  for (const chunk of chunks) {
    ciphertext.set(chunk, at);
    at += chunk.length;
  }
  const corrupt = (why: string): ClientError =>
    new ClientError(
      "FILE_CORRUPT",
      `the server's copy of ${file.name} is not the file that was sent (${why}): refused`,
    );
  if (bytesToHex(sha256(ciphertext)) !== file.sha256) throw corrupt("its SHA-256 differs");
  const aes = await crypto.subtle.importKey("raw", own(hexToBytes(file.key)), "AES-GCM", false, ["decrypt"]);
  let plaintext: Uint8Array;
  try {
    plaintext = new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv: own(hexToBytes(file.nonce)) }, aes, own(ciphertext)),
    );
  } catch {
    throw corrupt("it does not decrypt");
  }
  if (plaintext.length !== file.size) throw corrupt("its size differs");
  return plaintext;
}
