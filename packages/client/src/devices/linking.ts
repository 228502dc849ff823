import { ed25519 } from "@noble/curves/ed25519.js";
import {
  accountOf,
  certificateProblem,
  decodeDeviceCertificate,
  deviceName,
  deviceNumberOf,
  encodeDeviceCertificate,
  signDeviceCertificate,
  verifyDeviceCertificate,
  MAX_DEVICE_NUMBER,
  type UserName,
} from "@secure-chat/protocol";
import type { ClientKeyDirectory } from "../directory/key-directory.js";
import { ClientError, errorMessage } from "../errors.js";
import { fingerprint, sameKey, type Identity } from "../identity.js";
import { RpcConnection, serverError, type PushFrame, type SocketFactory } from "../link/rpc.js";
import type { Timers } from "../link/timers.js";
import type { ClientStore } from "../store/store.js";
import { decodeArchive, encodeArchive, openArchive, sealArchive, type RoomHistory } from "./history-transfer.js";
import {
  checkReveal,
  commitment,
  decodeLinkPayload,
  encodeLinkPayload,
  exchangeKeyPair,
  sharedSecret,
  shortAuthenticationString,
  type LinkPayload,
} from "./link-protocol.js";

/** The payloads of one link in arrival order; `next` waits for the following one, or the link's end. */
class LinkInbox {
  private readonly queued: Uint8Array[] = [];
  private waiter: { resolve(payload: Uint8Array): void; reject(error: Error): void } | undefined;
  private failure: Error | undefined;

  push(payload: Uint8Array): void {
    if (this.waiter === undefined) this.queued.push(payload);
    else this.waiter.resolve(payload);
    this.waiter = undefined;
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.waiter?.reject(error);
    this.waiter = undefined;
  }

  /** The next payload, which must be of `kind`. */
  async next<K extends LinkPayload["kind"]>(kind: K): Promise<Extract<LinkPayload, { kind: K }>> {
    const bytes =
      this.queued.shift() ??
      (await new Promise<Uint8Array>((resolve, reject) => {
        if (this.failure !== undefined) reject(this.failure);
        else this.waiter = { resolve, reject };
      }));
    const payload = decodeLinkPayload(bytes);
    if (payload.kind !== kind)
      throw new ClientError("BAD_ARGUMENT", `expected ${kind} from the other device, got ${payload.kind}`);
    return payload as Extract<LinkPayload, { kind: K }>;
  }
}

function relay(connection: RpcConnection, code: string, payload: LinkPayload): Promise<unknown> {
  return connection.request({ type: "link_relay", rid: 0, code, payload: encodeLinkPayload(payload) }, "ok");
}

export interface NewDeviceOptions {
  account: UserName;
  server: string;
  socketFactory: SocketFactory;
  /** An empty store: the linked identity and the account key's pin are saved in it. */
  store: ClientStore;
  label: string;
  /** The code to type on the account's first device (`/devices link CODE`). */
  onCode(code: string): void;
  /** The short authentication string to compare with the approving device's. */
  onSas(sas: string): void;
}

/** What linking gave the new device: its identity, and the history it stored (or why it refused it). */
export interface LinkedDevice {
  identity: Identity;
  history: { rooms: number; messages: number } | { refused: string };
}

/**
 * The new device's side of linking: a rendezvous code from the server, the key exchange with
 * the approving device, the SAS, and the certificate the account key signed for our new key.
 * Saves the identity (`account.N`) and pins the account key it learnt inside the SAS-checked
 * exchange. The connection never logs in.
 */
export async function linkNewDevice(options: NewDeviceOptions): Promise<LinkedDevice> {
  const connection = await RpcConnection.open(options.socketFactory, options.server);
  const inbox = new LinkInbox();
  connection.onPush = (frame: PushFrame) => {
    if (frame.type === "link_message") inbox.push(frame.payload);
    else if (frame.type === "error") inbox.fail(serverError(frame.code, frame.message));
  };
  connection.onClose = (reason) => inbox.fail(new ClientError("DISCONNECTED", `the link was closed: ${reason}`));
  try {
    const { code } = await connection.request({ type: "link_open", rid: 0, account: options.account }, "link_code");
    options.onCode(code);
    const device = ed25519.keygen();
    const exchange = exchangeKeyPair();
    const committed = (await inbox.next("commit")).commitment;
    const offer = { deviceKey: device.publicKey, exchangeKey: exchange.publicKey, label: options.label };
    await relay(connection, code, { kind: "offer", ...offer });
    const reveal = await inbox.next("reveal");
    checkReveal(committed, reveal);
    const shared = sharedSecret(exchange.secretKey, reveal.exchangeKey);
    options.onSas(shortAuthenticationString({ code, commitment: committed, offer, reveal }, shared));
    const certificate = decodeDeviceCertificate((await inbox.next("certificate")).certificate);
    if (
      certificate === undefined ||
      accountOf(certificate.device) !== options.account ||
      !sameKey(certificate.publicKey, device.publicKey) ||
      !verifyDeviceCertificate(reveal.accountKey, certificate)
    ) {
      throw new ClientError(
        "BAD_ARGUMENT",
        "the certificate does not certify this device under the account key; not linked",
      );
    }
    const identity = { name: certificate.device, secretKey: device.secretKey, publicKey: device.publicKey };
    await options.store.saveIdentity({ ...identity, server: options.server });
    await options.store.pin(options.account, reveal.accountKey);
    // Linked from here on; the history is a bonus, refused as a whole if anything in it is off.
    try {
      const sealed = await inbox.next("history");
      const rooms = decodeArchive(await openArchive(sealed, exchange.secretKey, committed));
      const messages = rooms.flatMap((room) => room.entries);
      await options.store.apply({ messages });
      return { identity, history: { rooms: rooms.length, messages: messages.length } };
    } catch (error) {
      return { identity, history: { refused: errorMessage(error) } };
    }
  } finally {
    connection.close();
  }
}

/** A link the approving device is in, waiting for the person to compare the SAS and approve. */
export interface PendingApproval {
  code: string;
  sas: string;
  label: string;
  /** The new device's key, as peers will see it. */
  fingerprint: string;
}

export interface ApproverOptions {
  identity: Identity;
  directory: ClientKeyDirectory;
  connection(): RpcConnection;
  now(): number;
  /** Adds the certified device to our groups (in the background: it must come online first). */
  added(device: UserName): void;
  /** The recent messages of every room we are in, for the new device. */
  history(): Promise<RoomHistory[]>;
  timers: Timers;
}

/** How long the approver waits for the new device's offer after joining its link. */
const OFFER_TIMEOUT_MS = 30_000;

/**
 * The approving device's side: only the account's first device holds the account key, so only
 * it approves. `start` runs the exchange up to the SAS; `approve` signs and sends the certificate.
 */
export class DeviceApprover {
  private readonly inboxes = new Map<string, LinkInbox>();
  private pending:
    (PendingApproval & { deviceKey: Uint8Array; exchangeKey: Uint8Array; commitment: Uint8Array }) | undefined;

  constructor(private readonly options: ApproverOptions) {}

  /** `work`, or TIMEOUT after `ms`: the new device answers at once, and a silent link must not hold our commands. */
  private within<T>(ms: number, work: Promise<T>): Promise<T> {
    const { timers } = this.options;
    return new Promise<T>((resolve, reject) => {
      const timer = timers.setTimeout(
        () => reject(new ClientError("TIMEOUT", "the new device did not answer; start again with secure-chat link")),
        ms,
      );
      work.then(
        (value) => {
          timers.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          timers.clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** A pushed link_message: to the link it belongs to. */
  onMessage(code: string, payload: Uint8Array): void {
    this.inboxes.get(code)?.push(payload);
  }

  async start(rawCode: string): Promise<PendingApproval> {
    const { identity } = this.options;
    if (identity.name !== accountOf(identity.name)) {
      throw new ClientError(
        "BAD_ARGUMENT",
        `only ${accountOf(identity.name)}'s first device holds the account key and can link devices`,
      );
    }
    const code = rawCode.trim().toUpperCase();
    const connection = this.options.connection();
    const inbox = new LinkInbox();
    this.inboxes.set(code, inbox);
    try {
      await connection.request({ type: "link_join", rid: 0, code }, "ok");
      const exchange = exchangeKeyPair();
      const reveal = { exchangeKey: exchange.publicKey, accountKey: identity.publicKey };
      const committed = commitment(reveal.exchangeKey, reveal.accountKey);
      await relay(connection, code, { kind: "commit", commitment: committed });
      const { deviceKey, exchangeKey, label } = await this.within(OFFER_TIMEOUT_MS, inbox.next("offer"));
      const offer = { deviceKey, exchangeKey, label };
      // The certificate will carry it: refused now rather than by the server after the person approved.
      const problem = certificateProblem({
        device: deviceName(accountOf(identity.name), 2),
        ...offer,
        publicKey: deviceKey,
        addedAt: 0,
      });
      if (problem !== undefined) throw new ClientError("BAD_ARGUMENT", `the new device can't be certified: ${problem}`);
      await relay(connection, code, { kind: "reveal", ...reveal });
      const shared = sharedSecret(exchange.secretKey, offer.exchangeKey);
      const sas = shortAuthenticationString({ code, commitment: committed, offer, reveal }, shared);
      this.pending = {
        code,
        sas,
        label: offer.label,
        fingerprint: fingerprint(offer.deviceKey),
        deviceKey: offer.deviceKey,
        exchangeKey: offer.exchangeKey,
        commitment: committed,
      };
      return { code, sas, label: offer.label, fingerprint: fingerprint(offer.deviceKey) };
    } finally {
      this.inboxes.delete(code);
    }
  }

  /**
   * The person saw the same SAS on both screens: certify the new device's key, send the
   * certificate, then the recent history sealed to the new device (none if `withHistory` is false).
   */
  async approve(withHistory: boolean): Promise<UserName> {
    const pending = this.pending;
    if (pending === undefined) throw new ClientError("BAD_ARGUMENT", "no device is waiting: /devices link CODE first");
    this.pending = undefined;
    const { identity, directory } = this.options;
    const account = accountOf(identity.name);
    // Never a name the server already has, certified by this key or not (after a release, say).
    const numbers = (await directory.listedDeviceNames(account)).map(deviceNumberOf);
    const number = Math.max(1, ...numbers) + 1;
    if (number > MAX_DEVICE_NUMBER)
      throw new ClientError("BAD_ARGUMENT", `an account has at most ${MAX_DEVICE_NUMBER} devices`);
    const device = deviceName(account, number);
    const certificate = encodeDeviceCertificate(
      signDeviceCertificate(identity.secretKey, {
        device,
        publicKey: pending.deviceKey,
        label: pending.label,
        addedAt: this.options.now(),
      }),
    );
    const connection = this.options.connection();
    await connection.request({ type: "add_device", rid: 0, certificate }, "ok");
    await directory.pin(device, pending.deviceKey);
    await relay(connection, pending.code, { kind: "certificate", certificate });
    const archive = encodeArchive(withHistory ? await this.options.history() : []);
    const sealed = await sealArchive(archive, pending.exchangeKey, pending.commitment);
    await relay(connection, pending.code, { kind: "history", ...sealed });
    this.options.added(device);
    return device;
  }
}
