import { ed25519 } from "@noble/curves/ed25519.js";
import { ByteReader, ByteWriter, DecodeFailure } from "./binary.js";
import { ED25519_PUBLIC_KEY_BYTES } from "./login.js";
import { accountOf, deviceNumberOf, parseMemberName, parseUserName, type UserName } from "./names.js";

/**
 * Device certificates and revocations: the statements that let one account have several
 * devices without trusting the server to say which. A linked device's key is certified by the
 * account key (the first device's, the one peers pin), so the server cannot add a device by
 * itself; a revocation is signed by one of the account's devices. Server and clients verify
 * both with the same functions.
 */

/** Device labels ("laptop") are at most this many characters. */
export const MAX_DEVICE_LABEL_LENGTH = 64;

const CERTIFICATE_LABEL = new TextEncoder().encode("secure-chat device v1\0");
const REVOCATION_LABEL = new TextEncoder().encode("secure-chat revoke v1\0");

/** "`device` (a name `account.N`) holds `publicKey`", signed by the account key. */
export interface DeviceCertificate {
  device: UserName;
  publicKey: Uint8Array;
  label: string;
  /** When the approving device signed it (its clock, ms since the epoch). */
  addedAt: number;
  signature: Uint8Array;
}

/** "`device` is revoked", signed by `signer`, another device of the same account (or the account key). */
export interface DeviceRevocation {
  device: UserName;
  revokedAt: number;
  signer: UserName;
  signature: Uint8Array;
}

/** One device as the server lists it: its certificate, its revocation if any, and when it last logged in. */
export interface DeviceListing {
  certificate: DeviceCertificate;
  revocation: DeviceRevocation | undefined;
  /** The server's word, unauthenticated: 0 for never. */
  lastSeen: number;
}

function transcript(label: Uint8Array, write: (writer: ByteWriter) => void): Uint8Array {
  const writer = new ByteWriter();
  write(writer);
  const body = writer.finish();
  const out = new Uint8Array(label.length + body.length);
  out.set(label, 0);
  out.set(body, label.length);
  return out;
}

function certificateTranscript(cert: Omit<DeviceCertificate, "signature">): Uint8Array {
  return transcript(CERTIFICATE_LABEL, (w) => {
    w.str(cert.device);
    w.bytes(cert.publicKey);
    w.str(cert.label);
    w.u53(cert.addedAt);
  });
}

function revocationTranscript(rev: Omit<DeviceRevocation, "signature">): Uint8Array {
  return transcript(REVOCATION_LABEL, (w) => {
    w.str(rev.device);
    w.u53(rev.revokedAt);
    w.str(rev.signer);
  });
}

function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    // Not a point, or a signature of the wrong length: it does not verify.
    return false;
  }
}

/** Why a certificate's fields can't be one (before any signature); undefined when they can. */
export function certificateProblem(cert: Omit<DeviceCertificate, "signature">): string | undefined {
  if (parseMemberName(cert.device) === undefined || deviceNumberOf(cert.device) < 2) {
    return `${cert.device} is not a linked device's name (account.N, N from 2)`;
  }
  if (cert.publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return "a device key is a 32-byte Ed25519 public key";
  if (cert.label.length > MAX_DEVICE_LABEL_LENGTH || /[\p{Cc}\p{Cf}]/u.test(cert.label)) {
    return `a device label is at most ${MAX_DEVICE_LABEL_LENGTH} printable characters`;
  }
  return undefined;
}

export function signDeviceCertificate(
  accountSecretKey: Uint8Array,
  cert: Omit<DeviceCertificate, "signature">,
): DeviceCertificate {
  return { ...cert, signature: ed25519.sign(certificateTranscript(cert), accountSecretKey) };
}

/** Whether `cert` is well formed and signed by `accountKey`, the key of the account its device name names. */
export function verifyDeviceCertificate(accountKey: Uint8Array, cert: DeviceCertificate): boolean {
  return (
    certificateProblem(cert) === undefined && verifySignature(cert.signature, certificateTranscript(cert), accountKey)
  );
}

export function signDeviceRevocation(
  signerSecretKey: Uint8Array,
  rev: Omit<DeviceRevocation, "signature">,
): DeviceRevocation {
  return { ...rev, signature: ed25519.sign(revocationTranscript(rev), signerSecretKey) };
}

/**
 * Whether `rev` is signed by `signerKey` and names a linked device and a signer of the same
 * account, other than the device itself. The account's first device can't be revoked: its key
 * is the account (`admin release-name` is for an account whose every device is gone).
 */
export function verifyDeviceRevocation(signerKey: Uint8Array, rev: DeviceRevocation): boolean {
  const device = parseMemberName(rev.device);
  const signer = parseMemberName(rev.signer);
  if (device === undefined || signer === undefined || deviceNumberOf(device) < 2) return false;
  if (accountOf(device) !== accountOf(signer) || device === signer) return false;
  return verifySignature(rev.signature, revocationTranscript(rev), signerKey);
}

function writeCertificate(w: ByteWriter, cert: DeviceCertificate): void {
  w.str(cert.device);
  w.bytes(cert.publicKey);
  w.str(cert.label);
  w.u53(cert.addedAt);
  w.bytes(cert.signature);
}

function readCertificate(r: ByteReader): DeviceCertificate {
  const device = parseMemberName(r.str());
  if (device === undefined) throw new DecodeFailure("bad device name");
  return { device, publicKey: r.bytes(), label: r.str(), addedAt: r.u53(), signature: r.bytes() };
}

function writeRevocation(w: ByteWriter, rev: DeviceRevocation): void {
  w.str(rev.device);
  w.u53(rev.revokedAt);
  w.str(rev.signer);
  w.bytes(rev.signature);
}

function readRevocation(r: ByteReader): DeviceRevocation {
  const device = parseMemberName(r.str());
  const revokedAt = r.u53();
  const signer = parseMemberName(r.str());
  if (device === undefined || signer === undefined) throw new DecodeFailure("bad device name");
  return { device, revokedAt, signer, signature: r.bytes() };
}

function decodeWith<T>(bytes: Uint8Array, read: (r: ByteReader) => T): T | undefined {
  try {
    const reader = new ByteReader(bytes);
    const value = read(reader);
    return reader.done ? value : undefined;
  } catch (error) {
    if (error instanceof DecodeFailure) return undefined;
    throw error;
  }
}

function encodeWith(write: (w: ByteWriter) => void): Uint8Array {
  const writer = new ByteWriter();
  write(writer);
  return writer.finish();
}

export function encodeDeviceCertificate(cert: DeviceCertificate): Uint8Array {
  return encodeWith((w) => writeCertificate(w, cert));
}

/** Undefined for bytes that are not one certificate (never throws). */
export function decodeDeviceCertificate(bytes: Uint8Array): DeviceCertificate | undefined {
  return decodeWith(bytes, readCertificate);
}

export function encodeDeviceRevocation(rev: DeviceRevocation): Uint8Array {
  return encodeWith((w) => writeRevocation(w, rev));
}

export function decodeDeviceRevocation(bytes: Uint8Array): DeviceRevocation | undefined {
  return decodeWith(bytes, readRevocation);
}

export function encodeDeviceListing(listing: DeviceListing): Uint8Array {
  return encodeWith((w) => {
    writeCertificate(w, listing.certificate);
    w.u8(listing.revocation === undefined ? 0 : 1);
    if (listing.revocation !== undefined) writeRevocation(w, listing.revocation);
    w.u53(listing.lastSeen);
  });
}

export function decodeDeviceListing(bytes: Uint8Array): DeviceListing | undefined {
  return decodeWith(bytes, (r) => {
    const certificate = readCertificate(r);
    const flag = r.u8();
    if (flag > 1) throw new DecodeFailure("bad flag");
    const revocation = flag === 1 ? readRevocation(r) : undefined;
    return { certificate, revocation, lastSeen: r.u53() };
  });
}

/** A device of an account as its peers may trust it: certified under the account key, and whether revoked. */
export interface VerifiedDevice {
  device: UserName;
  publicKey: Uint8Array;
  label: string;
  addedAt: number;
  lastSeen: number;
  revoked: boolean;
}

/**
 * The devices of `account` whose certificates verify under `accountKey` (the pinned account
 * key), each marked revoked when a revocation verifies under the account key or another certified
 * device's key. Listings that do not verify, or name another account, are in `refused` with why:
 * a server that invents a device gets it refused here, not trusted.
 */
export function verifyDeviceListings(
  account: UserName,
  accountKey: Uint8Array,
  listings: readonly DeviceListing[],
): { devices: VerifiedDevice[]; refused: { device: string; reason: string }[] } {
  const refused: { device: string; reason: string }[] = [];
  const certified = new Map<UserName, DeviceListing>();
  for (const listing of listings) {
    const { certificate } = listing;
    if (parseUserName(account) === undefined || accountOf(certificate.device) !== account) {
      refused.push({ device: certificate.device, reason: `not a device of ${account}` });
    } else if (!verifyDeviceCertificate(accountKey, certificate)) {
      refused.push({ device: certificate.device, reason: `its device certificate is not signed by ${account}'s key` });
    } else if (certified.has(certificate.device)) {
      refused.push({ device: certificate.device, reason: "listed twice" });
    } else {
      certified.set(certificate.device, listing);
    }
  }
  const keyOf = (signer: UserName): Uint8Array | undefined =>
    signer === account ? accountKey : certified.get(signer)?.certificate.publicKey;
  const devices = [...certified.values()].map(({ certificate, revocation, lastSeen }) => {
    const signerKey = revocation === undefined ? undefined : keyOf(revocation.signer);
    const revoked =
      revocation !== undefined &&
      revocation.device === certificate.device &&
      signerKey !== undefined &&
      verifyDeviceRevocation(signerKey, revocation);
    const { device, publicKey, label, addedAt } = certificate;
    return { device, publicKey, label, addedAt, lastSeen, revoked };
  });
  return { devices, refused };
}
