/**
 * Reference: a bare `ws` broadcast relay, no auth, no storage, written the fastest way: every
 * message is framed once (one buffer shared by all recipients), writes are coalesced per
 * event-loop tick (one socket write per recipient per tick), and recipients with the same frames
 * queued share one joined buffer (joinFrames, as in secure-chat). Every connection is in one room;
 * a message goes to everyone but its sender, who gets an empty frame as its ack.
 * The ceiling of this stack (Node + ws) for fan-out.
 *
 *   node bench/dist/references/ws-relay.js   prints "ws-relay listening on PORT"
 */
import type { Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
// The same framing and joining code as secure-chat's server: the comparison is of everything else.
import { binaryFrame, joinFrames } from "@secure-chat/server";

interface Peer {
  socket: Socket;
  queue: Buffer[];
}

const EMPTY_FRAME = Buffer.from([0x82, 0x00]);

const peers = new Set<Peer>();
const dirty: Peer[] = [];
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  for (const peer of dirty) {
    const queue = peer.queue;
    peer.queue = [];
    if (peer.socket.destroyed) continue;
    peer.socket.write(joinFrames(queue));
  }
  dirty.length = 0;
}

function enqueue(peer: Peer, bytes: Buffer): void {
  if (peer.queue.length === 0) dirty.push(peer);
  peer.queue.push(bytes);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, clientTracking: false });
wss.on("connection", (ws: WebSocket) => {
  const peer: Peer = { socket: (ws as unknown as { _socket: Socket })._socket, queue: [] };
  peers.add(peer);
  ws.on("message", (data: Buffer) => {
    const framed = binaryFrame(data);
    for (const other of peers) if (other !== peer) enqueue(other, framed);
    enqueue(peer, EMPTY_FRAME);
  });
  ws.on("close", () => peers.delete(peer));
  ws.on("error", () => undefined);
});
wss.on("listening", () => {
  const address = wss.address();
  process.stdout.write(
    `ws-relay listening on ${typeof address === "object" && address !== null ? address.port : address}\n`,
  );
});
process.on("SIGINT", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
