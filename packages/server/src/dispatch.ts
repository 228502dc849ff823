import { decodeFrame, frameSchemas, type ClientFrame, type ClientFrameType } from "@secure-chat/protocol";
import type { Connection } from "./connection.js";
import type { ServerContext } from "./context.js";
import { TokenBucket } from "./token-bucket.js";
import { hello, login } from "./handlers/auth.js";
import { commit, createGroup, getGroupInfo, listRooms, send } from "./handlers/groups.js";
import { answerFailure, type Handler, type HandlerTable } from "./handlers/handler.js";
import { claimKeyPackage, lookupKeys, uploadKeyPackages } from "./handlers/key-packages.js";
import { ack, listOnline, ping } from "./handlers/misc.js";

/** Frame type -> handler. Preconditions (login) are checked here, before any handler runs. */
export const handlers: HandlerTable = {
  hello,
  login,
  upload_key_packages: uploadKeyPackages,
  claim_key_package: claimKeyPackage,
  lookup_keys: lookupKeys,
  create_group: createGroup,
  get_group_info: getGroupInfo,
  commit,
  send,
  ack,
  list_rooms: listRooms,
  list_online: listOnline,
  ping,
};

function withinRateLimits(ctx: ServerContext, connection: Connection): boolean {
  const now = ctx.now();
  if (!connection.bucket.take(now)) return false;
  const name = connection.name;
  if (name === undefined) return true;
  let bucket = ctx.userBuckets.get(name);
  if (bucket === undefined) {
    bucket = new TokenBucket(ctx.config.rateLimitPerUser, ctx.config.rateLimitPerUser * 2, now);
    ctx.userBuckets.set(name, bucket);
  }
  return bucket.take(now);
}

function requestId(frame: ClientFrame): number {
  return "rid" in frame ? frame.rid : 0;
}

/** Decodes one binary frame and runs its handler; every failure becomes an error frame. */
export function dispatch(ctx: ServerContext, connection: Connection, bytes: Uint8Array): void {
  if (bytes.length > ctx.config.maxFrameBytes) {
    connection.fail(0, "FRAME_TOO_LARGE", `frames are limited to ${ctx.config.maxFrameBytes} bytes`);
    return;
  }
  const decoded = decodeFrame(bytes);
  if (decoded.kind === "error") {
    connection.fail(0, decoded.code, decoded.message);
    return;
  }
  const frame = decoded.frame;
  if (frameSchemas[frame.type].dir !== "c2s") {
    connection.fail(0, "UNEXPECTED_FRAME", `${frame.type} is a server-to-client frame`);
    return;
  }
  const clientFrame = frame as ClientFrame;
  const handler = handlers[clientFrame.type as ClientFrameType] as Handler<ClientFrameType>;
  const rid = requestId(clientFrame);
  if (!withinRateLimits(ctx, connection)) {
    connection.fail(rid, "RATE_LIMITED", "too many frames; slow down and retry this request");
    return;
  }
  try {
    if (handler.requiresAuth) {
      const name = connection.name;
      if (name === undefined) {
        connection.fail(rid, "NOT_AUTHENTICATED", `log in before sending ${clientFrame.type}`);
        return;
      }
      handler.handle(ctx, connection, clientFrame as never, name);
    } else {
      handler.handle(ctx, connection, clientFrame as never);
    }
  } catch (error) {
    answerFailure(ctx, connection, { type: clientFrame.type, rid }, error);
  }
}
