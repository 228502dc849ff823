import {
  ED25519_PUBLIC_KEY_BYTES,
  ProtocolError,
  accountOf,
  cipherSuites,
  deviceNumberOf,
  parseMemberName,
  type UserName,
} from "@secure-chat/protocol";
import { verifyLogin } from "../login-verify.js";
import { startDelivery } from "../services/delivery.js";
import { trackPresence } from "../services/presence.js";
import { NOT_CONFIRMED } from "../services/durability-gate.js";
import type { ServerContext } from "../context.js";
import { TokenBucket } from "../token-bucket.js";
import type { Handler } from "./handler.js";

const NONCE_BYTES = 32;

export const hello: Handler<"hello"> = {
  requiresAuth: false,
  handle(ctx, connection, frame) {
    if (connection.state.phase !== "awaiting_hello") {
      throw new ProtocolError("UNEXPECTED_FRAME", "hello is only valid as the first frame");
    }
    const name = parseMemberName(frame.name);
    if (name === undefined) {
      throw new ProtocolError(
        "BAD_NAME",
        "names are 1-32 characters: a-z, 0-9, '_' and '-', starting with a letter or digit (a linked device: name.N)",
      );
    }
    if (frame.publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
      throw new ProtocolError("AUTH_FAILED", "the identity key must be a 32-byte Ed25519 public key");
    }
    // A name bound to another key is refused only after the login proves a key (below): until
    // then the answer is the same whether a name is registered or not, so hello can't list names.
    const nonce = ctx.randomBytes(NONCE_BYTES);
    connection.state = { phase: "awaiting_proof", name, publicKey: frame.publicKey, nonce };
    connection.send({
      type: "challenge",
      rid: frame.rid,
      nonce,
      cipherSuite: cipherSuites[ctx.config.cipherSuite],
      serverTime: ctx.now(),
    });
  },
};

/** Takes a registration token for `address`: names are cheap to make, so making them is limited. */
function mayRegister(ctx: ServerContext, address: string): boolean {
  const perHour = ctx.config.registrationsPerHourPerAddress;
  let bucket = ctx.registrationBuckets.get(address);
  if (bucket === undefined) {
    bucket = new TokenBucket(perHour / 3600, perHour, ctx.now());
    ctx.registrationBuckets.set(address, bucket);
  }
  return bucket.take(ctx.now());
}

/** The first device of an account logs in under the bare name; its first login registers the name. */
async function registerAccount(
  ctx: ServerContext,
  name: UserName,
  publicKey: Uint8Array,
  address: string,
): Promise<boolean> {
  if ((await ctx.storage.userKey(name)) === undefined && !mayRegister(ctx, address)) {
    throw new ProtocolError("RATE_LIMITED", "too many new names from your address; try again in an hour");
  }
  const registered = await ctx.storage.registerUser(name, publicKey);
  if (registered.kind === "name_taken") {
    throw new ProtocolError("NAME_TAKEN", `the name ${name} is registered to another key`);
  }
  if (registered.kind === "confusable") {
    throw new ProtocolError(
      "NAME_CONFUSABLE",
      `the name ${name} looks like the registered name ${registered.lookalike}; choose another`,
    );
  }
  return registered.kind === "registered";
}

/** A linked device logs in only as certified (addDevice) and not revoked; logging in never registers one. */
async function checkDevice(ctx: ServerContext, name: UserName, publicKey: Uint8Array): Promise<boolean> {
  const device = await ctx.storage.device(name);
  const key = device === undefined ? undefined : await ctx.storage.userKey(name);
  if (device === undefined || key === undefined) {
    throw new ProtocolError(
      "AUTH_FAILED",
      `${name} is not a device of ${accountOf(name)}: link it first (secure-chat link)`,
    );
  }
  if (device.revocation !== undefined) {
    throw new ProtocolError("DEVICE_REVOKED", `${name} was revoked by another device of ${accountOf(name)}`);
  }
  if (!Buffer.from(key).equals(publicKey)) {
    throw new ProtocolError("NAME_TAKEN", `the device ${name} is certified for another key`);
  }
  await ctx.storage.deviceSeen(name, ctx.now());
  return false;
}

export const login: Handler<"login"> = {
  requiresAuth: false,
  async handle(ctx, connection, frame) {
    const state = connection.state;
    if (state.phase !== "awaiting_proof") {
      throw new ProtocolError("UNEXPECTED_FRAME", "login must answer the challenge sent after hello");
    }
    // The nonce is single-use: whatever happens next, this challenge is spent.
    connection.state = { phase: "awaiting_hello" };
    if (!verifyLogin(state.publicKey, frame.signature, state.nonce, state.name)) {
      throw new ProtocolError("AUTH_FAILED", "the login signature does not verify for this challenge");
    }
    const registered =
      deviceNumberOf(state.name) === 1
        ? await registerAccount(ctx, state.name, state.publicKey, connection.remoteAddress)
        : await checkDevice(ctx, state.name, state.publicKey);
    // The socket may close while storage answers: it must not come back to life.
    const closed = (): boolean => connection.state.phase === "closed";
    if (closed()) return;
    connection.state = { phase: "ready", name: state.name };
    ctx.log.info("login", { name: state.name, registered });
    const keyPackageCount = await ctx.storage.countKeyPackages(state.name);
    // A name is taken only once its registration is on disk (a known name's may still be syncing).
    const durable = await new Promise<boolean>((resolve) => ctx.durable.after(resolve));
    if (closed()) return;
    if (!durable) {
      connection.fail(frame.rid, "INTERNAL", NOT_CONFIRMED);
      connection.close(1011, "INTERNAL");
      return;
    }
    connection.send({ type: "login_ok", rid: frame.rid, keyPackageCount });
    trackPresence(ctx, connection, state.name);
    startDelivery(ctx, connection, state.name).catch((error: unknown) => {
      ctx.log.error("catch_up_failed", { name: state.name, error: String(error) });
      connection.fail(0, "INTERNAL", "the server could not read your deliveries; reconnect to try again");
      connection.close(1011, "INTERNAL");
    });
  },
};
