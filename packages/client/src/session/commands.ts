import {
  deviceNumberOf,
  parseGroupId,
  parseMemberName,
  parseRoomName,
  parseUserName,
  type GroupId,
  type UserName,
} from "@secure-chat/protocol";

/** One line of user input, parsed. Parsing is pure; the chat session carries commands out. */
export type Command =
  | { kind: "text"; text: string }
  | { kind: "join"; room: string }
  /** `after`: list the rooms whose id sorts after it (the next page). */
  | { kind: "rooms"; after?: GroupId }
  | { kind: "msg"; name: UserName; text: string }
  /** Text to `room` (a label: `#room`, `+room`, `@name`) without making it the current room. */
  | { kind: "say"; room: string; text: string }
  | { kind: "who"; all: boolean }
  | { kind: "invite"; name: UserName }
  | { kind: "kick"; name: UserName }
  | { kind: "leave" }
  | { kind: "history"; count: number }
  /** Who has been shown message `message` (undefined: our last one). */
  | { kind: "seen"; message: string | undefined }
  /** `message`: a message id as shown (its short form), a longer prefix, or the whole id. */
  | { kind: "reply"; message: string; text: string }
  | { kind: "react"; message: string; emoji: string }
  | { kind: "edit"; message: string; text: string }
  | { kind: "delete"; message: string }
  | { kind: "send-file"; path: string }
  /** `path` undefined: the file's own name (made safe), in the current folder. */
  | { kind: "save-file"; message: string; path: string | undefined }
  | { kind: "fingerprint"; name: UserName | undefined }
  | { kind: "trust"; name: UserName }
  /** This account's devices: list, join a new device's link, approve it after comparing the SAS, revoke one. */
  | { kind: "devices"; action: "list" }
  | { kind: "devices"; action: "link"; code: string }
  | { kind: "devices"; action: "approve"; history: boolean }
  | { kind: "devices"; action: "revoke"; device: UserName }
  | { kind: "help" }
  | { kind: "quit" }
  | { kind: "invalid"; message: string };

export const MAX_HISTORY = 1_000;
export const DEFAULT_HISTORY = 20;

export const helpText = [
  "TEXT                 send to the current room",
  "/join #room          join (or create) an open room and switch to it",
  "/join +room          create an invite-only room, or switch to one you are in",
  "/join @name          switch to the private conversation with name",
  "/rooms               list rooms",
  "/msg NAME TEXT       private message (delivered even if NAME is offline)",
  "/say ROOM TEXT       send to ROOM (#room, +room or @name) without switching to it",
  "/who                 members of the current room, with online state",
  "/who *               everyone online on the server",
  "/invite NAME         add NAME to the current room",
  "/kick NAME           remove NAME from the current room",
  "/leave               leave the current room",
  "/history [N]         the last N messages of the current room (default 20)",
  "/seen [ID]           who has been shown message ID (default: your last), of those online then",
  "/reply ID TEXT       answer message ID (the short id shown before its sender)",
  "/react ID EMOJI      react to message ID; the same emoji again takes it back",
  "/edit ID TEXT        replace the text of your message ID (shown as edited)",
  "/delete ID           delete your message ID for everyone (a tombstone stays)",
  "/send PATH           send a file to the current room (encrypted; the server keeps only ciphertext)",
  "/save ID [PATH]      download file message ID, check it, and save it (default: its name, here)",
  "/fingerprint [NAME]  your key fingerprint, or NAME's, to compare out of band",
  "/trust NAME          accept NAME's changed key once the fingerprints match",
  "/devices             your account's devices (fingerprint, added, last seen)",
  "/devices link CODE   start adding the device that shows CODE (secure-chat link); compare the codes",
  "/devices approve     add that device once both screens show the same code, with your recent history",
  "                     (/devices approve --no-history: without it)",
  "/devices revoke ID   remove a device (NAME.N): it leaves every room and can't log in",
  "/help                this list",
  "/quit                exit once every sent message is stored by the server",
];

function nameArg(value: string | undefined, usage: string): UserName | { kind: "invalid"; message: string } {
  if (value === undefined) return { kind: "invalid", message: `usage: ${usage}` };
  const name = parseUserName(value.replace(/^@/, ""));
  return name ?? { kind: "invalid", message: `${value} is not a valid name` };
}

/** A room argument: `#room`, `+room` or `@name`, or why it is none. */
function roomArg(room: string): { kind: "invalid"; message: string } | undefined {
  if (room.startsWith("@")) {
    return parseUserName(room.slice(1)) === undefined
      ? { kind: "invalid", message: `${room} is not a valid name` }
      : undefined;
  }
  return parseRoomName(room) === undefined
    ? { kind: "invalid", message: `${room} is not a room name: #name (open) or +name (invite-only), lower case` }
    : undefined;
}

/** A message id as typed: hex, at least 4 digits (a short id is 6). */
function isMessageRef(value: string): boolean {
  return /^[0-9a-fA-F]{4,64}$/.test(value);
}

export function parseCommand(line: string): Command {
  if (!line.startsWith("/") || line.startsWith("//")) {
    const text = line.startsWith("//") ? line.slice(1) : line;
    return text.trim() === "" ? { kind: "invalid", message: "nothing to send" } : { kind: "text", text };
  }
  const [head = "", ...rest] = line.slice(1).split(" ");
  const args = rest.filter((part) => part !== "");
  const command = head.toLowerCase();
  const withName = (usage: string, make: (name: UserName) => Command): Command => {
    if (args.length !== 1) return { kind: "invalid", message: `usage: ${usage}` };
    const name = nameArg(args[0], usage);
    return typeof name === "string" ? make(name) : name;
  };
  switch (command) {
    case "join": {
      const room = args[0];
      if (args.length !== 1 || room === undefined)
        return { kind: "invalid", message: "usage: /join #room | +room | @name" };
      return roomArg(room) ?? { kind: "join", room };
    }
    case "rooms": {
      if (args.length === 0) return { kind: "rooms" };
      const after = args.length === 1 && args[0] !== undefined ? parseGroupId(args[0]) : undefined;
      return after === undefined ? { kind: "invalid", message: "usage: /rooms [AFTER]" } : { kind: "rooms", after };
    }
    case "msg": {
      const match = /^\S+\s+(\S+)\s+(\S.*)$/s.exec(line);
      const name = nameArg(match?.[1], "/msg NAME TEXT");
      if (match === null || typeof name !== "string") {
        return typeof name === "string" ? { kind: "invalid", message: "usage: /msg NAME TEXT" } : name;
      }
      return { kind: "msg", name, text: match[2] ?? "" };
    }
    case "say": {
      const match = /^\S+\s+(\S+)\s+(\S.*)$/s.exec(line);
      const room = match?.[1];
      if (match === null || room === undefined) return { kind: "invalid", message: "usage: /say ROOM TEXT" };
      return roomArg(room) ?? { kind: "say", room, text: match[2] ?? "" };
    }
    case "who":
      if (args.length === 0) return { kind: "who", all: false };
      return args.length === 1 && args[0] === "*"
        ? { kind: "who", all: true }
        : { kind: "invalid", message: "usage: /who [*]" };
    case "invite":
      return withName("/invite NAME", (name) => ({ kind: "invite", name }));
    case "kick":
      return withName("/kick NAME", (name) => ({ kind: "kick", name }));
    case "leave":
      return args.length === 0 ? { kind: "leave" } : { kind: "invalid", message: "usage: /leave" };
    case "history": {
      if (args.length === 0) return { kind: "history", count: DEFAULT_HISTORY };
      const count = Number(args[0]);
      return args.length === 1 && Number.isInteger(count) && count > 0 && count <= MAX_HISTORY
        ? { kind: "history", count }
        : { kind: "invalid", message: `usage: /history [N], N from 1 to ${MAX_HISTORY}` };
    }
    case "seen": {
      const [message] = args;
      if (args.length > 1 || (message !== undefined && !isMessageRef(message))) {
        return { kind: "invalid", message: "usage: /seen [ID]" };
      }
      return { kind: "seen", message };
    }
    case "reply":
    case "edit": {
      const match = /^\S+\s+(\S+)\s+(\S.*)$/s.exec(line);
      const message = match?.[1];
      if (match === null || message === undefined || !isMessageRef(message)) {
        return { kind: "invalid", message: `usage: /${command} ID TEXT` };
      }
      return { kind: command, message, text: match[2] ?? "" };
    }
    case "react": {
      const [message, emoji] = args;
      if (args.length !== 2 || message === undefined || emoji === undefined || !isMessageRef(message)) {
        return { kind: "invalid", message: "usage: /react ID EMOJI" };
      }
      return { kind: "react", message, emoji };
    }
    case "delete": {
      const [message] = args;
      if (args.length !== 1 || message === undefined || !isMessageRef(message)) {
        return { kind: "invalid", message: "usage: /delete ID" };
      }
      return { kind: "delete", message };
    }
    case "send": {
      const path = /^\S+\s+(\S.*)$/s.exec(line)?.[1]?.trim();
      return path === undefined || path === ""
        ? { kind: "invalid", message: "usage: /send PATH" }
        : { kind: "send-file", path };
    }
    case "save": {
      const match = /^\S+\s+(\S+)(?:\s+(\S.*))?$/s.exec(line);
      const message = match?.[1];
      if (match === null || message === undefined || !isMessageRef(message)) {
        return { kind: "invalid", message: "usage: /save ID [PATH]" };
      }
      return { kind: "save-file", message, path: match[2]?.trim() };
    }
    case "fingerprint":
      if (args.length === 0) return { kind: "fingerprint", name: undefined };
      return withName("/fingerprint [NAME]", (name) => ({ kind: "fingerprint", name }));
    case "trust":
      return withName("/trust NAME", (name) => ({ kind: "trust", name }));
    case "devices":
      return devicesCommand(args);
    case "help":
      return { kind: "help" };
    case "quit":
    case "exit":
      return { kind: "quit" };
    default:
      return { kind: "invalid", message: `unknown command /${head}; /help lists the commands` };
  }
}

function devicesCommand(args: string[]): Command {
  const [action, value] = args;
  if (action === undefined) return { kind: "devices", action: "list" };
  if (action === "link" && value !== undefined && args.length === 2)
    return { kind: "devices", action: "link", code: value };
  if (action === "approve" && (args.length === 1 || (args.length === 2 && value === "--no-history"))) {
    return { kind: "devices", action: "approve", history: value === undefined };
  }
  if (action === "revoke" && value !== undefined && args.length === 2) {
    const device = parseMemberName(value);
    return device !== undefined && deviceNumberOf(device) > 1
      ? { kind: "devices", action: "revoke", device }
      : { kind: "invalid", message: `${value} is not a linked device's id (NAME.N, as /devices lists it)` };
  }
  return { kind: "invalid", message: "usage: /devices [link CODE | approve [--no-history] | revoke ID]" };
}

/**
 * One input line of the JSON interface: a JSON object `{"room": "#ops", "text": "pong"}` sends
 * `text` (line breaks included) to `room`, or to the current room without `room`, so a bot can
 * answer where it was asked without switching rooms; any other line is a command or text as in
 * the line mode.
 */
export function parseJsonModeLine(line: string): Command {
  if (!line.trimStart().startsWith("{")) return parseCommand(line);
  const usage = 'a JSON input line is {"room": "#room" | "+room" | "@name", "text": "..."} ("room" optional)';
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: "invalid", message: `not valid JSON: ${usage}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "invalid", message: usage };
  const { room, text, ...extra } = value as Record<string, unknown>;
  if (typeof text !== "string" || (room !== undefined && typeof room !== "string") || Object.keys(extra).length > 0) {
    return { kind: "invalid", message: usage };
  }
  if (text.trim() === "") return { kind: "invalid", message: "nothing to send" };
  if (room === undefined) return { kind: "text", text };
  return roomArg(room) ?? { kind: "say", room, text };
}
