import { ProtocolError, cipherSuites, parseMemberName, type UserName } from "@secure-chat/protocol";
import type { ServerContext } from "../context.js";
import { inspectKeyPackage } from "../mls/inspect.js";
import { whenDurable, type Handler } from "./handler.js";

/** A KeyPackage is accepted only if it names its uploader, with the uploader's key, in our suite. */
function checkKeyPackage(ctx: ServerContext, name: UserName, key: Uint8Array | undefined, bytes: Uint8Array): void {
  const inspected = inspectKeyPackage(bytes);
  if (inspected === undefined) throw new ProtocolError("BAD_MLS", "not a valid MLS KeyPackage");
  if (inspected.identity !== name || key === undefined || !Buffer.from(key).equals(inspected.signaturePublicKey)) {
    throw new ProtocolError("BAD_MLS", "a KeyPackage must carry the uploader's own name and identity key");
  }
  if (inspected.cipherSuite !== cipherSuites[ctx.config.cipherSuite]) {
    throw new ProtocolError("BAD_MLS", `this server uses ${cipherSuites[ctx.config.cipherSuite]}`);
  }
}

export const uploadKeyPackages: Handler<"upload_key_packages"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame, name) {
    const stock = await ctx.storage.countKeyPackages(name);
    if (stock + frame.keyPackages.length > ctx.config.maxKeyPackages) {
      throw new ProtocolError("BAD_ARGUMENT", `at most ${ctx.config.maxKeyPackages} KeyPackages may be stocked`);
    }
    const lastResort = frame.lastResort.length > 0 ? frame.lastResort : undefined;
    const key = await ctx.storage.userKey(name);
    for (const keyPackage of [...frame.keyPackages, ...(lastResort ? [lastResort] : [])]) {
      checkKeyPackage(ctx, name, key, keyPackage);
    }
    await ctx.storage.addKeyPackages(name, frame.keyPackages, lastResort);
    whenDurable(ctx, connection, frame.rid, () => connection.send({ type: "ok", rid: frame.rid }));
  },
};

export const claimKeyPackage: Handler<"claim_key_package"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame) {
    const target = parseMemberName(frame.name);
    if (target === undefined) throw new ProtocolError("BAD_NAME", `${frame.name} is not a valid name`);
    if ((await ctx.storage.userKey(target)) === undefined) {
      throw new ProtocolError("NO_SUCH_USER", `nobody is registered as ${target}`);
    }
    const keyPackage = await ctx.storage.claimKeyPackage(target);
    if (keyPackage === undefined) {
      throw new ProtocolError("NO_KEY_PACKAGE", `${target} has no KeyPackage left; they must come online once`);
    }
    // Handed out only once its removal is on disk: a one-time KeyPackage must never be used twice.
    whenDurable(ctx, connection, frame.rid, () =>
      connection.send({ type: "key_package", rid: frame.rid, name: target, keyPackage }),
    );
  },
};

/**
 * Names one `lookup_keys` may ask for. The rate limits count frames, so a frame's work must be
 * bounded too: 10,000 names a frame would cost 10,000 lookups on the one event loop.
 */
export const MAX_LOOKUP_NAMES = 64;

export const lookupKeys: Handler<"lookup_keys"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame) {
    if (frame.names.length > MAX_LOOKUP_NAMES) {
      throw new ProtocolError("BAD_ARGUMENT", `look up at most ${MAX_LOOKUP_NAMES} names at a time`);
    }
    const names: string[] = [];
    const publicKeys: Uint8Array[] = [];
    const retiredKeys: Uint8Array[] = [];
    for (const requested of frame.names) {
      const name = parseMemberName(requested);
      const key = name === undefined ? undefined : await ctx.storage.userKey(name);
      if (name === undefined || key === undefined) continue;
      names.push(name);
      publicKeys.push(key);
      retiredKeys.push(Buffer.concat(await ctx.storage.retiredKeys(name)));
    }
    // Keys read here may have been registered by a write whose disk sync is still running.
    whenDurable(ctx, connection, frame.rid, () =>
      connection.send({ type: "keys", rid: frame.rid, names, publicKeys, retiredKeys }),
    );
  },
};
