/**
 * The plaintext inside each MLS application message: a client message id and the sender's
 * clock travel encrypted with the text, so the server can neither read nor forge them.
 * Plaintexts are zero-padded to size buckets so ciphertext lengths leak less.
 */
export interface MessageContent {
  id: string;
  sentAt: number;
  text: string;
}

export const MAX_TEXT_BYTES = 16 * 1024;
const BUCKETS = [64, 128, 256, 512, 1024, 2048, 4096];
const LARGE_BUCKET = 4096;

function paddedLength(length: number): number {
  for (const bucket of BUCKETS) if (length <= bucket) return bucket;
  return Math.ceil(length / LARGE_BUCKET) * LARGE_BUCKET;
}

export function encodeContent(content: MessageContent): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ v: 1, ...content }));
  const out = new Uint8Array(paddedLength(json.length));
  out.set(json);
  return out;
}

export function decodeContent(bytes: Uint8Array): MessageContent | undefined {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end)));
    if (typeof value !== "object" || value === null) return undefined;
    const { v, id, sentAt, text } = value as Record<string, unknown>;
    if (v !== 1 || typeof id !== "string" || typeof sentAt !== "number" || typeof text !== "string") return undefined;
    if (id.length === 0 || id.length > 64) return undefined;
    return { id, sentAt, text };
  } catch {
    return undefined;
  }
}

/** A fresh message id: random, so a replayed or resent message is recognised by it. */
export function newMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
