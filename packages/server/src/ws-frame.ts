/**
 * Server-to-client WebSocket framing (RFC 6455 §5.2: FIN + binary opcode, unmasked), done once
 * per encoded frame rather than once per recipient. A fan-out hands the same encoded bytes to
 * every member's socket in a row, so a one-entry memo turns N framings into one.
 */
let lastPayload: Uint8Array | undefined;
let lastFramed: Buffer | undefined;

function frameBinary(payload: Uint8Array): Buffer {
  const size = payload.length;
  const headerBytes = size < 126 ? 2 : size < 65_536 ? 4 : 10;
  const framed = Buffer.allocUnsafe(headerBytes + size);
  framed[0] = 0x82;
  if (size < 126) framed[1] = size;
  else if (size < 65_536) {
    framed[1] = 126;
    framed.writeUInt16BE(size, 2);
  } else {
    framed[1] = 127;
    framed.writeUInt32BE(Math.floor(size / 2 ** 32), 2);
    framed.writeUInt32BE(size >>> 0, 6);
  }
  framed.set(payload, headerBytes);
  return framed;
}

/** The WebSocket frame carrying `payload`; encoded frames are never mutated after encoding. */
export function binaryFrame(payload: Uint8Array): Buffer {
  if (payload !== lastPayload) {
    lastFramed = frameBinary(payload);
    lastPayload = payload;
  }
  return lastFramed!;
}

let lastParts: readonly Buffer[] = [];
let lastJoined: Buffer | undefined;

function sameAsLast(parts: readonly Buffer[]): boolean {
  if (parts.length !== lastParts.length) return false;
  for (let i = 0; i < parts.length; i++) if (parts[i] !== lastParts[i]) return false;
  return true;
}

/**
 * A socket's queued frames as one buffer for one write. The sockets of a room are flushed one
 * after another and usually hold the same frames in the same order (the same fan-outs), so a
 * one-entry memo joins them once for all of them instead of once per socket: the copies and
 * the garbage of a 100-member room shrink a hundredfold. The result may be the same buffer for
 * many sockets: neither it nor `parts`' buffers may be mutated.
 */
export function joinFrames(parts: readonly Buffer[]): Buffer {
  if (parts.length === 1) return parts[0]!;
  if (lastJoined === undefined || !sameAsLast(parts)) {
    lastJoined = Buffer.concat(parts);
    lastParts = parts.slice();
  }
  return lastJoined;
}
