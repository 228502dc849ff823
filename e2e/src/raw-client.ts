/** A bare protocol client for hostile and low-level tests: raw frames over a real socket. */
import { ed25519 } from "@noble/curves/ed25519.js";
import { WebSocket } from "ws";
import {
  defaultCapabilities,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
} from "ts-mls";
import {
  cipherSuites,
  decodeFrame,
  encodeFrame,
  signLogin,
  type ClientFrame,
  type ServerFrame,
} from "@secure-chat/protocol";

export class RawClient {
  readonly frames: ServerFrame[] = [];
  closeCode: number | undefined;
  private constructor(private readonly socket: WebSocket) {}

  /** `ca`: the PEM certificate a wss:// server must present (checked whatever name it was made for). */
  static async connect(url: string, ca?: string): Promise<RawClient> {
    // Node's TLS takes undefined as "the name is fine"; ws's types ask for a boolean.
    const anyName = (() => undefined) as unknown as () => boolean;
    const tls = ca === undefined ? {} : { ca, checkServerIdentity: anyName };
    const socket = new WebSocket(url, { maxPayload: 64 * 1024 * 1024, ...tls });
    const client = new RawClient(socket);
    socket.on("message", (data: Buffer) => {
      const decoded = decodeFrame(new Uint8Array(data));
      if (decoded.kind === "ok") client.frames.push(decoded.frame as ServerFrame);
    });
    socket.on("close", (code) => (client.closeCode = code));
    await new Promise<void>((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    return client;
  }

  send(frame: ClientFrame): void {
    this.socket.send(encodeFrame(frame));
  }

  sendBytes(bytes: Uint8Array | string): void {
    this.socket.send(bytes);
  }

  async next<T extends ServerFrame["type"]>(type: T | "error", timeoutMs = 10_000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((f) => f.type === type || f.type === "error");
      if (index >= 0) return this.frames.splice(index, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no ${type} frame within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async closed(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === undefined) {
      if (Date.now() > deadline) throw new Error("the server did not close the connection");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.closeCode;
  }

  close(): void {
    this.socket.terminate();
  }
}

/** Raw clients opened by one test suite, to be closed together when it ends. */
export class RawClients {
  private readonly open: RawClient[] = [];

  /** `url` is read at each call: a suite's server starts after the suite declares its clients. */
  constructor(private readonly url: () => string) {}

  async connect(): Promise<RawClient> {
    const raw = await RawClient.connect(this.url());
    this.open.push(raw);
    return raw;
  }

  closeAll(): void {
    for (const raw of this.open.splice(0)) raw.close();
  }
}

export interface RawIdentity {
  name: string;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function rawIdentity(name: string): RawIdentity {
  const { secretKey, publicKey } = ed25519.keygen();
  return { name, secretKey, publicKey };
}

/** Runs hello + login; returns the nonce and signature used (for replay tests). */
export async function rawLogin(
  client: RawClient,
  identity: RawIdentity,
): Promise<{ answer: ServerFrame; nonce: Uint8Array; signature: Uint8Array }> {
  client.send({ type: "hello", rid: 1, name: identity.name, publicKey: identity.publicKey });
  const challenge = await client.next("challenge");
  if (challenge.type !== "challenge") throw new Error(`no challenge: ${JSON.stringify(challenge)}`);
  const signature = signLogin(identity.secretKey, challenge.nonce, identity.name);
  client.send({ type: "login", rid: 2, signature });
  return { answer: await client.next("login_ok"), nonce: challenge.nonce, signature };
}

/** An encoded X-Wing KeyPackage with `identity` as its basic credential, signed by `signer`. */
export async function rawKeyPackage(
  identity: string,
  signer: { secretKey: Uint8Array; publicKey: Uint8Array },
): Promise<Uint8Array> {
  const impl = await getCiphersuiteImpl(getCiphersuiteFromName(cipherSuites.xwing));
  const now = BigInt(Math.floor(Date.now() / 1000));
  const { publicPackage } = await generateKeyPackageWithKey(
    { credentialType: "basic", identity: new TextEncoder().encode(identity) },
    defaultCapabilities(),
    { notBefore: now - 60n, notAfter: now + 86_400n },
    [],
    { signKey: signer.secretKey, publicKey: signer.publicKey },
    impl,
  );
  return encodeMlsMessage({ keyPackage: publicPackage, wireformat: "mls_key_package", version: "mls10" });
}
