import { parseGroupId, parseRoomName, parseUserName, type GroupId, type UserName } from "@secure-chat/protocol";

/** One line of user input, parsed. Parsing is pure; the chat session carries commands out. */
export type Command =
  | { kind: "text"; text: string }
  | { kind: "join"; room: string }
  /** `after`: list the rooms whose id sorts after it (the next page). */
  | { kind: "rooms"; after?: GroupId }
  | { kind: "msg"; name: UserName; text: string }
  | { kind: "who"; all: boolean }
  | { kind: "invite"; name: UserName }
  | { kind: "kick"; name: UserName }
  | { kind: "leave" }
  | { kind: "history"; count: number }
  | { kind: "fingerprint"; name: UserName | undefined }
  | { kind: "trust"; name: UserName }
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
  "/who                 members of the current room, with online state",
  "/who *               everyone online on the server",
  "/invite NAME         add NAME to the current room",
  "/kick NAME           remove NAME from the current room",
  "/leave               leave the current room",
  "/history [N]         the last N messages of the current room (default 20)",
  "/fingerprint [NAME]  your key fingerprint, or NAME's, to compare out of band",
  "/trust NAME          accept NAME's changed key once the fingerprints match",
  "/help                this list",
  "/quit                exit once every sent message is stored by the server",
];

function nameArg(value: string | undefined, usage: string): UserName | { kind: "invalid"; message: string } {
  if (value === undefined) return { kind: "invalid", message: `usage: ${usage}` };
  const name = parseUserName(value.replace(/^@/, ""));
  return name ?? { kind: "invalid", message: `${value} is not a valid name` };
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
      if (room.startsWith("@")) {
        const name = parseUserName(room.slice(1));
        return name === undefined
          ? { kind: "invalid", message: `${room} is not a valid name` }
          : { kind: "join", room };
      }
      return parseRoomName(room) === undefined
        ? { kind: "invalid", message: `${room} is not a room name: #name (open) or +name (invite-only), lower case` }
        : { kind: "join", room };
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
    case "fingerprint":
      if (args.length === 0) return { kind: "fingerprint", name: undefined };
      return withName("/fingerprint [NAME]", (name) => ({ kind: "fingerprint", name }));
    case "trust":
      return withName("/trust NAME", (name) => ({ kind: "trust", name }));
    case "help":
      return { kind: "help" };
    case "quit":
    case "exit":
      return { kind: "quit" };
    default:
      return { kind: "invalid", message: `unknown command /${head}; /help lists the commands` };
  }
}
