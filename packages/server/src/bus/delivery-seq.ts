import { decodeFrame } from "@secure-chat/protocol";

/** The seq of an encoded `deliver` frame, or undefined for any other frame (presence). */
export function deliverySeq(frame: Uint8Array): number | undefined {
  const decoded = decodeFrame(frame);
  return decoded.kind === "ok" && decoded.frame.type === "deliver" ? decoded.frame.seq : undefined;
}
