import { ProtocolError, parseUserName } from "@secure-chat/protocol";
import type { Connection } from "../connection.js";
import type { PendingLink, ServerContext } from "../context.js";
import type { Handler } from "./handler.js";

/** A link not approved within this time is dropped (the new device's connection closes). */
export const LINK_TIMEOUT_MS = 10 * 60_000;
/** Links waiting at once, server-wide: each holds a connection open past the login timeout. */
export const MAX_PENDING_LINKS = 1_000;
/** A relayed payload is a key, a certificate, or the sealed recent history (at most 512 KiB of it). */
export const MAX_LINK_PAYLOAD_BYTES = 1024 * 1024;

/** Crockford's base32 without I, L, O, U: codes are read off one screen and typed on another. */
const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** 8 characters, 40 random bits, as `ABCD-EFGH`. */
function newCode(ctx: ServerContext): string {
  const bytes = ctx.randomBytes(5);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let code = "";
  for (let i = 0; i < 8; i++) code += CODE_ALPHABET[Number((bits >> BigInt(35 - 5 * i)) & 31n)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** The new device (not logged in) opens a link for `account` and gets its rendezvous code. */
export const linkOpen: Handler<"link_open"> = {
  requiresAuth: false,
  async handle(ctx, connection, frame) {
    if (connection.state.phase !== "awaiting_hello") {
      throw new ProtocolError("UNEXPECTED_FRAME", "link_open is only valid as the first frame");
    }
    const account = parseUserName(frame.account);
    if (account === undefined) throw new ProtocolError("BAD_NAME", `${frame.account} is not an account name`);
    if ((await ctx.storage.userKey(account)) === undefined) {
      throw new ProtocolError("NO_SUCH_USER", `nobody is registered as ${account}; start its first device with chat`);
    }
    if (ctx.links.size >= MAX_PENDING_LINKS) throw new ProtocolError("RATE_LIMITED", "too many devices linking now");
    if (connection.state.phase !== "awaiting_hello") return; // closed meanwhile
    let code = newCode(ctx);
    while (ctx.links.has(code)) code = newCode(ctx);
    const link: PendingLink = { account, newDevice: connection, approver: undefined };
    ctx.links.set(code, link);
    connection.state = { phase: "linking", code };
    const expiry = setTimeout(
      () => connection.fail(0, "LINK_ENDED", "the link was not approved in time; start linking again"),
      LINK_TIMEOUT_MS,
    );
    expiry.unref();
    connection.onClose.push(() => {
      clearTimeout(expiry);
      if (ctx.links.get(code) === link) ctx.links.delete(code);
    });
    connection.send({ type: "link_code", rid: frame.rid, code });
  },
};

/** The account's first device (the only one that can certify) joins the link the new device shows. */
export const linkJoin: Handler<"link_join"> = {
  requiresAuth: true,
  handle(ctx, connection, frame, name) {
    const link = ctx.links.get(frame.code.trim().toUpperCase());
    if (link === undefined || link.account !== name || link.approver !== undefined) {
      throw new ProtocolError("BAD_ARGUMENT", "no device is waiting with that code for your account's first device");
    }
    link.approver = connection;
    connection.onClose.push(() => {
      // The new device can't go on without its approver: it starts over.
      if (link.approver === connection)
        link.newDevice.fail(0, "LINK_ENDED", "the approving device went away; start linking again");
    });
    connection.send({ type: "ok", rid: frame.rid });
  },
};

/** Passes a payload to the other side of a link; the server reads nothing in it. */
export const linkRelay: Handler<"link_relay"> = {
  requiresAuth: false,
  handle(ctx, connection, frame) {
    const link = ctx.links.get(frame.code);
    const other = link === undefined ? undefined : otherSide(link, connection);
    if (link === undefined || other === undefined) {
      throw new ProtocolError("BAD_ARGUMENT", "you are not on that link, or its other side has not joined");
    }
    if (frame.payload.length > MAX_LINK_PAYLOAD_BYTES) {
      throw new ProtocolError("BAD_ARGUMENT", `a link payload is at most ${MAX_LINK_PAYLOAD_BYTES} bytes`);
    }
    other.send({ type: "link_message", code: frame.code, payload: frame.payload });
    connection.send({ type: "ok", rid: frame.rid });
  },
};

function otherSide(link: PendingLink, connection: Connection): Connection | undefined {
  if (connection === link.newDevice) return link.approver;
  if (connection === link.approver) return link.newDevice;
  return undefined;
}
