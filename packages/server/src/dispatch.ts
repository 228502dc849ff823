import { decodeFrame, frameSchemas, type ClientFrame, type ClientFrameType } from "@secure-chat/protocol";
import type { Connection } from "./connection.js";
import type { ServerContext } from "./context.js";
import { TokenBucket } from "./token-bucket.js";
import { hello, login } from "./handlers/auth.js";
import {
  commit,
  createGroup,
  getBlob,
  getGroupInfo,
  listRooms,
  putBlob,
  send,
  sendEphemeral,
} from "./handlers/groups.js";
import { addDevice, listDevices, revokeDevice } from "./handlers/devices.js";
import { linkJoin, linkOpen, linkRelay } from "./handlers/linking.js";
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
  send_ephemeral: sendEphemeral,
  put_blob: putBlob,
  get_blob: getBlob,
  ack,
  list_rooms: listRooms,
  list_online: listOnline,
  ping,
  add_device: addDevice,
  revoke_device: revokeDevice,
  list_devices: listDevices,
  link_open: linkOpen,
  link_join: linkJoin,
  link_relay: linkRelay,
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

/**
 * Frames of one connection waiting while one of its handlers awaits storage. Rate limits bound
 * how fast they come; this bounds how many a stalled database can make pile up.
 */
export const MAX_WAITING_FRAMES = 256;

/**
 * Decodes one binary frame and runs its handler; every failure becomes an error frame. A
 * connection's frames are handled in the order they came: while a handler awaits storage, the
 * frames after it wait (a login completes before what follows it; sends keep their order).
 */
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
  if (!withinRateLimits(ctx, connection)) {
    connection.fail(requestId(clientFrame), "RATE_LIMITED", "too many frames; slow down and retry this request");
    return;
  }
  const waiting = connection.waitingFrames;
  if (waiting === undefined) {
    handleInOrder(ctx, connection, [clientFrame]);
  } else if (waiting.length < MAX_WAITING_FRAMES) {
    waiting.push(clientFrame);
  } else {
    connection.fail(requestId(clientFrame), "RATE_LIMITED", "too many requests waiting; retry this one later");
  }
}

/** Handles `frames` in order; when a handler goes asynchronous, the rest wait for it to finish. */
function handleInOrder(ctx: ServerContext, connection: Connection, frames: ClientFrame[]): void {
  connection.waitingFrames = undefined;
  for (let next = frames.shift(); next !== undefined; next = frames.shift()) {
    if (connection.state.phase === "closed") return;
    const handling = handle(ctx, connection, next);
    if (handling !== undefined) {
      connection.waitingFrames = frames;
      void handling.then(() => handleInOrder(ctx, connection, frames));
      return;
    }
  }
}

/** Runs the frame's handler; undefined if it finished at once, else a promise that never rejects. */
function handle(ctx: ServerContext, connection: Connection, frame: ClientFrame): Promise<void> | undefined {
  const handler = handlers[frame.type as ClientFrameType] as Handler<ClientFrameType>;
  const rid = requestId(frame);
  const failed = (error: unknown): void => answerFailure(ctx, connection, { type: frame.type, rid }, error);
  try {
    let handling: void | Promise<void>;
    if (handler.requiresAuth) {
      const name = connection.name;
      if (name === undefined) {
        connection.fail(rid, "NOT_AUTHENTICATED", `log in before sending ${frame.type}`);
        return undefined;
      }
      handling = handler.handle(ctx, connection, frame as never, name);
    } else {
      handling = handler.handle(ctx, connection, frame as never);
    }
    return handling?.catch(failed);
  } catch (error) {
    failed(error);
    return undefined;
  }
}
