/**
 * Reference: a Socket.IO 4 room broadcast server as a typical Node developer would write it:
 * clients `join` a room (with an ack), and a message is broadcast to the room except its
 * sender (`socket.to(room).emit`), then acknowledged to the sender.
 *
 *   node bench/dist/references/socketio-server.js   prints "socketio listening on PORT"
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";

const http = createServer();
const io = new Server(http, { serveClient: false });
io.on("connection", (socket) => {
  let room: string | undefined;
  socket.on("join", (name: string, ack?: () => void) => {
    room = name;
    void socket.join(name);
    ack?.();
  });
  socket.on("m", (payload: Buffer, ack?: () => void) => {
    if (room !== undefined) socket.to(room).emit("m", payload);
    ack?.();
  });
});
http.listen(0, "127.0.0.1", () => {
  process.stdout.write(`socketio listening on ${(http.address() as AddressInfo).port}\n`);
});
process.on("SIGINT", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
