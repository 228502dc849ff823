import type { ChatClient } from "../chat-client.js";
import { ClientError, errorCode, errorMessage } from "../errors.js";
import { groupOfLabel, roomLabel, type GroupId, type UserName } from "@secure-chat/protocol";
import { helpText, type Command } from "./commands.js";
import { presenceKnownWhen, uiMessage, type UiSink } from "./ui-events.js";

/** What a command asks of the interface after it ran: nothing, to show another room, or to quit. */
export type SessionOutcome = { kind: "quit" } | { kind: "focus"; room: string } | undefined;

/** What the session uses of `ChatClient`. */
export type SessionClient = Pick<
  ChatClient,
  | "name"
  | "send"
  | "sendPrivate"
  | "openPrivate"
  | "join"
  | "leave"
  | "invite"
  | "kick"
  | "who"
  | "whoOnline"
  | "connectionState"
  | "rooms"
  | "history"
  | "fingerprintOf"
  | "fingerprintsOf"
  | "trust"
  | "devices"
  | "linkDevice"
  | "approveDevice"
  | "revokeDevice"
  | "seenBy"
  | "reply"
  | "react"
  | "edit"
  | "delete"
  | "sendFile"
  | "fetchFile"
>;

/** Files on this device, for /send and /save (the terminal's; a browser brings its own). */
export interface FilePort {
  read(path: string): Promise<{ name: string; contentType: string; bytes: Uint8Array }>;
  /** Saves `bytes` at `path`, or under `name` made safe when no path is given; where it went. */
  write(path: string | undefined, name: string, bytes: Uint8Array): Promise<string>;
}

/**
 * Carries out typed commands against the client, in the room the interface is showing (the
 * interface owns which room that is). Failures become `error` events; nothing is sent for a
 * bad command.
 */
export class ChatSession {
  constructor(
    private readonly client: SessionClient,
    private readonly sink: UiSink,
    private readonly files?: FilePort,
  ) {}

  private fileport(): FilePort {
    if (this.files === undefined) throw new ClientError("BAD_ARGUMENT", "this interface has no files to send or save");
    return this.files;
  }

  /** Runs one command in `room` (a label: `#room`, `+room`, `@peer`). */
  async run(command: Command, room: string): Promise<SessionOutcome> {
    try {
      return await this.execute(command, room);
    } catch (error) {
      this.sink({ type: "error", code: errorCode(error), message: errorMessage(error) });
      return undefined;
    }
  }

  private label(groupId: GroupId): string {
    return roomLabel(groupId, this.client.name);
  }

  private async execute(command: Command, room: string): Promise<SessionOutcome> {
    const client = this.client;
    const current = groupOfLabel(room, client.name) ?? ("#lobby" as GroupId);
    switch (command.kind) {
      case "text":
        await client.send(current, command.text);
        return;
      case "msg":
        await client.sendPrivate(command.name, command.text);
        return;
      case "say":
        // @name starts the conversation if need be, as /msg does; a room must be one we are in.
        if (command.room.startsWith("@")) await client.sendPrivate(command.room.slice(1) as UserName, command.text);
        else await client.send(groupOfLabel(command.room, client.name) as GroupId, command.text);
        return;
      case "join": {
        const groupId = command.room.startsWith("@")
          ? await client.openPrivate(command.room.slice(1) as UserName)
          : (groupOfLabel(command.room, client.name) as GroupId);
        if (!command.room.startsWith("@")) await client.join(groupId);
        this.sink({ type: "info", message: `now talking in ${this.label(groupId)}` });
        return { kind: "focus", room: this.label(groupId) };
      }
      case "leave":
        await client.leave(current);
        return;
      case "invite":
        await client.invite(current, command.name);
        return;
      case "kick":
        await client.kick(current, command.name);
        return;
      case "who":
        if (command.all) this.sink({ type: "online", names: await client.whoOnline() });
        else {
          const presenceKnown = presenceKnownWhen(client.connectionState);
          this.sink({ type: "who", room: this.label(current), members: client.who(current), presenceKnown });
        }
        return;
      case "rooms": {
        const page = await client.rooms(command.after);
        this.sink({
          type: "rooms",
          rooms: page.rooms.map(({ groupId, ...rest }) => ({ room: this.label(groupId), ...rest })),
          ...(page.next === undefined ? {} : { next: page.next }),
        });
        return;
      }
      case "history": {
        const messages = await client.history(current, command.count);
        this.sink({
          type: "history",
          room: this.label(current),
          messages: messages.map((m) => uiMessage(m, client.name)),
        });
        return;
      }
      case "seen": {
        const { id, seenBy, others } = await client.seenBy(current, command.message);
        this.sink({ type: "seen_by", room: this.label(current), id, seenBy, others });
        return;
      }
      case "reply":
        await client.reply(current, command.message, command.text);
        return;
      case "react":
        await client.react(current, command.message, command.emoji);
        return;
      case "edit":
        await client.edit(current, command.message, command.text);
        return;
      case "delete":
        await client.delete(current, command.message);
        return;
      case "send-file": {
        const file = await this.fileport().read(command.path);
        this.sink({ type: "info", message: `sending ${file.name} (${file.bytes.length} bytes)…` });
        await client.sendFile(current, file);
        return;
      }
      case "save-file": {
        const { name, bytes } = await client.fetchFile(current, command.message);
        const where = await this.fileport().write(command.path, name, bytes);
        this.sink({ type: "info", message: `saved ${name} (${bytes.length} bytes, checked) to ${where}` });
        return;
      }
      case "fingerprint": {
        const devices = command.name === undefined ? undefined : await client.fingerprintsOf(command.name);
        this.sink({
          type: "fingerprint",
          name: command.name ?? client.name,
          fingerprint: await client.fingerprintOf(command.name),
          ...(devices === undefined || devices.length < 2 ? {} : { devices }),
        });
        return;
      }
      case "devices":
        return this.devices(command);
      case "trust":
        await client.trust(command.name);
        this.sink({
          type: "info",
          message: `${command.name}'s new key is trusted; messages to ${command.name} go to it`,
        });
        return;
      case "help":
        this.sink({ type: "info", message: helpText.join("\n") });
        return;
      case "quit":
        return { kind: "quit" };
      case "invalid":
        this.sink({ type: "error", code: "BAD_COMMAND", message: command.message });
        return;
    }
  }

  private async devices(command: Extract<Command, { kind: "devices" }>): Promise<undefined> {
    const client = this.client;
    switch (command.action) {
      case "list":
        this.sink({ type: "devices", devices: await client.devices() });
        return;
      case "link": {
        const pending = await client.linkDevice(command.code);
        this.sink({ type: "device_link", ...pending });
        return;
      }
      case "approve": {
        const device = await client.approveDevice(command.history);
        this.sink({ type: "info", message: `${device} is linked; it is added to your rooms once it is online` });
        return;
      }
      case "revoke":
        await client.revokeDevice(command.device);
        this.sink({ type: "info", message: `${command.device} is revoked and removed from your rooms` });
        return;
    }
  }
}
