import { parseRoomName, parseUserName, type GroupId, type UserName } from "@secure-chat/protocol";
import { defaultServerConfig, openStorage, type Storage } from "@secure-chat/server";
import { parseArgs } from "./args.js";
import { CliExit, exitCodes } from "./exit.js";

export const adminUsage = [
  "secure-chat admin release-name [--data DIR] NAME",
  "secure-chat admin reserve-room [--data DIR] [--reclaim] ROOM OWNER",
  "secure-chat admin unreserve-room [--data DIR] ROOM",
].join("\n  ");

const restartNote = "Restart the server if it is running.";

/**
 * Operator commands on a server's data directory. `release-name` is the way back for a user
 * whose device (and key) is lost: their next login registers a new key, and peers are warned.
 * `reserve-room` keeps a room name for its real owner (and with `--reclaim` takes it back from a
 * squatter); `unreserve-room` lifts that.
 */
export function runAdmin(argv: readonly string[]): void {
  const parsed = parseArgs(argv, { data: "string", reclaim: "boolean" });
  if (parsed.kind === "error")
    throw new CliExit(exitCodes.usage, "BAD_FLAG", `${parsed.message}\nusage: ${adminUsage}`);
  const [action, ...operands] = parsed.positionals;
  const reclaim = parsed.flags.reclaim === true;
  const command =
    action === "release-name" && operands.length === 1 && !reclaim
      ? releaseName(userName(operands[0]))
      : action === "reserve-room" && operands.length === 2
        ? reserveRoom(roomName(operands[0]), userName(operands[1]), reclaim)
        : action === "unreserve-room" && operands.length === 1 && !reclaim
          ? unreserveRoom(roomName(operands[0]))
          : undefined;
  if (command === undefined) throw new CliExit(exitCodes.usage, "BAD_COMMAND", `usage: ${adminUsage}`);
  const storage = openStorage((parsed.flags.data as string | undefined) ?? defaultServerConfig.dataDir);
  try {
    process.stdout.write(`${command(storage)}\n`);
  } finally {
    storage.close();
  }
}

/** What an action does to the storage, and the sentence that says it was done. */
type AdminAction = (storage: Storage) => string;

function releaseName(name: UserName): AdminAction {
  return (storage) => {
    if (storage.releaseName(name) === "unknown") {
      throw new CliExit(exitCodes.failure, "NO_SUCH_USER", `nobody is registered as ${name}`);
    }
    return (
      `released ${name}: their next login registers a new key and rejoins open rooms; peers see a key-change ` +
      `warning. ${restartNote}`
    );
  };
}

function reserveRoom(room: GroupId, owner: UserName, reclaim: boolean): AdminAction {
  return (storage) => {
    if (storage.userKey(owner) === undefined) {
      throw new CliExit(exitCodes.failure, "NO_SUCH_USER", `nobody is registered as ${owner}`);
    }
    const result = storage.reserveRoom(room, owner, reclaim);
    switch (result.kind) {
      case "reserved":
        return `reserved ${room} for ${owner}: nobody else can create it, nor a room whose name looks like it.`;
      case "exists":
        throw new CliExit(
          exitCodes.failure,
          "GROUP_EXISTS",
          `${room} is in use (${result.members.join(", ") || "no members"}); add --reclaim to end it and reserve it for ${owner}`,
        );
      case "reclaimed":
        return (
          `reclaimed ${room} for ${owner}: its group was ended for ${result.members.join(", ") || "nobody"}, ` +
          `and ${owner} can create it anew. ${restartNote}`
        );
    }
  };
}

function unreserveRoom(room: GroupId): AdminAction {
  return (storage) => {
    if (storage.unreserveRoom(room) === "unknown") {
      throw new CliExit(exitCodes.failure, "NOT_RESERVED", `${room} is not reserved`);
    }
    return `${room} is no longer reserved: anyone may create it once it is free.`;
  };
}

function userName(raw: string | undefined): UserName {
  const name = parseUserName(raw ?? "");
  if (name === undefined) throw new CliExit(exitCodes.usage, "BAD_NAME", `${raw ?? ""} is not a valid name`);
  return name;
}

function roomName(raw: string | undefined): GroupId {
  const room = parseRoomName(raw ?? "");
  if (room === undefined) {
    throw new CliExit(exitCodes.usage, "BAD_NAME", `${raw ?? ""} is not a room name (#open or +invite-only)`);
  }
  return room;
}
