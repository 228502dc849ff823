/**
 * A malicious server in front of the real one. In "replay" mode it delivers each application
 * message twice; to keep the client's sequence numbers consistent it doubles every seq it
 * sends (the replay gets seq*2+1) and halves every seq the client acknowledges. In "relabel"
 * mode it claims every application message, and every commit and Welcome but the client's own,
 * came from `relabelAs`. In "poison" mode, after each `synced` it injects two deliveries with the
 * highest seq there is: one of garbage, and a copy of the last real delivery (`injected` counts
 * them). In "spoil" mode it flips the last byte (a signature byte) of every GroupInfo it relays.
 */
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { decodeFrame, deliveryKinds, encodeFrame, type Frame } from "@secure-chat/protocol";
import { flipLastByte } from "./attacker.js";

/** The seq a poisoned delivery claims: the largest a u53 field holds. */
export const POISON_SEQ = Number.MAX_SAFE_INTEGER;

export class ReplayProxy {
  replays = 0;
  injected = 0;
  private lastDelivery: Extract<Frame, { type: "deliver" }> | undefined;
  private constructor(
    private readonly wss: WebSocketServer,
    private readonly mode: "replay" | "relabel" | "poison" | "spoil",
    private readonly relabelAs: string,
  ) {}

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  static async start(
    upstreamUrl: string,
    mode: "replay" | "relabel" | "poison" | "spoil" = "replay",
    relabelAs = "mallory",
  ): Promise<ReplayProxy> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 64 * 1024 * 1024 });
    await new Promise((resolve) => wss.once("listening", resolve));
    const proxy = new ReplayProxy(wss, mode, relabelAs);
    wss.on("connection", (client) => {
      const upstream = new WebSocket(upstreamUrl, { maxPayload: 64 * 1024 * 1024 });
      const toUpstream: Buffer[] = [];
      upstream.on("open", () => toUpstream.splice(0).forEach((b) => upstream.send(b)));
      let clientName: string | undefined;
      client.on("message", (data: Buffer) => {
        const hello = decodeFrame(new Uint8Array(data));
        if (hello.kind === "ok" && hello.frame.type === "hello") clientName = hello.frame.name;
        const bytes = proxy.rewriteFromClient(data);
        if (upstream.readyState === WebSocket.OPEN) upstream.send(bytes);
        else toUpstream.push(bytes);
      });
      upstream.on("message", (data: Buffer) => {
        for (const bytes of proxy.rewriteFromServer(data, clientName)) client.send(bytes);
      });
      const close = (): void => {
        client.terminate();
        upstream.terminate();
      };
      client.on("close", close);
      upstream.on("close", close);
      client.on("error", close);
      upstream.on("error", close);
    });
    return proxy;
  }

  private rewriteFromClient(data: Buffer): Buffer {
    if (this.mode !== "replay") return data;
    const decoded = decodeFrame(new Uint8Array(data));
    if (decoded.kind !== "ok" || decoded.frame.type !== "ack") return data;
    return Buffer.from(encodeFrame({ type: "ack", seq: Math.floor(decoded.frame.seq / 2) }));
  }

  private rewriteFromServer(data: Buffer, clientName: string | undefined): Buffer[] {
    const decoded = decodeFrame(new Uint8Array(data));
    if (decoded.kind !== "ok") return [data];
    const frame: Frame = decoded.frame;
    if (this.mode === "spoil") {
      if (frame.type !== "group_info") return [data];
      this.injected++;
      return [Buffer.from(encodeFrame({ ...frame, groupInfo: flipLastByte(frame.groupInfo) }))];
    }
    if (this.mode === "poison") {
      if (frame.type === "deliver") this.lastDelivery = frame;
      if (frame.type !== "synced") return [data];
      const forged = { type: "deliver", seq: POISON_SEQ, serverTs: Date.now(), sender: "alice" } as const;
      const garbage = {
        ...forged,
        groupId: "#lobby",
        kind: deliveryKinds.message,
        payload: new Uint8Array(64).fill(7),
      };
      const out = [data, Buffer.from(encodeFrame(garbage))];
      if (this.lastDelivery !== undefined)
        out.push(Buffer.from(encodeFrame({ ...this.lastDelivery, seq: POISON_SEQ })));
      this.injected += out.length - 1;
      return out;
    }
    if (this.mode === "relabel") {
      if (frame.type !== "deliver") return [data];
      const handshake = frame.kind === deliveryKinds.commit || frame.kind === deliveryKinds.welcome;
      const othersHandshake = handshake && frame.sender !== clientName;
      if (frame.kind !== deliveryKinds.message && !othersHandshake) return [data];
      return [Buffer.from(encodeFrame({ ...frame, sender: this.relabelAs }))];
    }
    switch (frame.type) {
      case "deliver": {
        const out = [Buffer.from(encodeFrame({ ...frame, seq: frame.seq * 2 }))];
        if (frame.kind === deliveryKinds.message) {
          this.replays++;
          out.push(Buffer.from(encodeFrame({ ...frame, seq: frame.seq * 2 + 1 })));
        }
        return out;
      }
      case "accepted":
        return [Buffer.from(encodeFrame({ ...frame, seq: frame.seq * 2 }))];
      case "synced":
        return [Buffer.from(encodeFrame({ ...frame, cursor: frame.cursor * 2 }))];
      default:
        return [data];
    }
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
  }
}
