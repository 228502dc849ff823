import {
  ProtocolError,
  accountOf,
  certificateProblem,
  decodeDeviceCertificate,
  decodeDeviceRevocation,
  encodeFrame,
  parseUserName,
  verifyDeviceCertificate,
  verifyDeviceRevocation,
  encodeDeviceListing,
} from "@secure-chat/protocol";
import type { DeviceListing } from "@secure-chat/protocol";
import type { StoredDevice } from "../storage/storage.js";
import { whenDurable, type Handler } from "./handler.js";

/** A stored device as listed; its bytes were checked when stored, so this fails only for a damaged row. */
function deviceListing(stored: StoredDevice): DeviceListing | undefined {
  const certificate = decodeDeviceCertificate(stored.certificate);
  if (certificate === undefined) return undefined;
  const revocation = stored.revocation === undefined ? undefined : decodeDeviceRevocation(stored.revocation);
  return { certificate, revocation, lastSeen: stored.lastSeen };
}

/**
 * A linked device is added by its certificate, which only the account key can sign: the server
 * checks it as every peer will, so it stores no device its account did not approve, and peers
 * refuse one it stores anyway.
 */
export const addDevice: Handler<"add_device"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame, name) {
    const certificate = decodeDeviceCertificate(frame.certificate);
    if (certificate === undefined) throw new ProtocolError("BAD_CERTIFICATE", "not a device certificate");
    const problem = certificateProblem(certificate);
    if (problem !== undefined) throw new ProtocolError("BAD_CERTIFICATE", problem);
    if (accountOf(certificate.device) !== name) {
      throw new ProtocolError("BAD_CERTIFICATE", "only the account's first device (its account key) adds devices");
    }
    const accountKey = await ctx.storage.userKey(name);
    if (accountKey === undefined || !verifyDeviceCertificate(accountKey, certificate)) {
      throw new ProtocolError("BAD_CERTIFICATE", "the device certificate is not signed by the account key");
    }
    const added = await ctx.storage.addDevice(name, certificate.device, certificate.publicKey, frame.certificate);
    if (added.kind === "no_account") throw new ProtocolError("NO_SUCH_USER", `${name} is no longer registered`);
    if (added.kind === "exists") {
      throw new ProtocolError("BAD_ARGUMENT", `${certificate.device} exists already; a device name is never reused`);
    }
    ctx.log.info("device_added", { account: name, device: certificate.device });
    whenDurable(ctx, connection, frame.rid, () => connection.send({ type: "ok", rid: frame.rid }));
  },
};

/** A device of the account revokes another (never the first device, whose key is the account). */
export const revokeDevice: Handler<"revoke_device"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame, name) {
    const revocation = decodeDeviceRevocation(frame.revocation);
    if (revocation === undefined) throw new ProtocolError("BAD_CERTIFICATE", "not a device revocation");
    if (revocation.signer !== name)
      throw new ProtocolError("BAD_CERTIFICATE", "sign a revocation with your own device's key");
    const signerKey = await ctx.storage.userKey(name);
    if (signerKey === undefined || !verifyDeviceRevocation(signerKey, revocation)) {
      throw new ProtocolError(
        "BAD_CERTIFICATE",
        "the revocation does not verify: another device of your account, signed by you",
      );
    }
    const result = await ctx.storage.revokeDevice(revocation.device, frame.revocation);
    if (result === "unknown") throw new ProtocolError("NO_SUCH_USER", `${revocation.device} is no device of yours`);
    ctx.log.info("device_revoked", { device: revocation.device, by: name });
    whenDurable(ctx, connection, frame.rid, () => {
      // A connection the device has open now stops being useful: it is told, and can't log in again.
      const notice = encodeFrame({
        type: "error",
        rid: 0,
        code: "DEVICE_REVOKED",
        message: `this device was revoked by ${name}`,
      });
      ctx.bus.publish([revocation.device], notice);
      connection.send({ type: "ok", rid: frame.rid });
    });
  },
};

export const listDevices: Handler<"list_devices"> = {
  requiresAuth: true,
  async handle(ctx, connection, frame) {
    const account = parseUserName(frame.name);
    if (account === undefined) throw new ProtocolError("BAD_NAME", `${frame.name} is not an account name`);
    const listings = (await ctx.storage.devices(account)).flatMap((stored) => {
      const listing = deviceListing(stored);
      return listing === undefined ? [] : [encodeDeviceListing(listing)];
    });
    whenDurable(ctx, connection, frame.rid, () =>
      connection.send({ type: "devices", rid: frame.rid, name: account, listings }),
    );
  },
};
