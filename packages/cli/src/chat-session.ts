import { ClientError, type ChatClient } from "@secure-chat/client";
import type { GroupId, UserName } from "@secure-chat/protocol";
import { helpText, type Command } from "./commands.js";
import type { UiSink } from "./ui-events.js";

/**
 * Carries out typed commands against the client and keeps the current room.
 * Failures become `error` events; nothing is sent for a bad command.
 */
export class ChatSession {
  private current: GroupId = "#lobby" as GroupId;

  constructor(
    private readonly client: ChatClient,
    private readonly sink: UiSink,
  ) {
    client.on((event) => {
      if (event.type === "room" && (event.change === "left" || event.change === "removed")) {
        if (client.label(this.current) === event.room) this.current = (client.joinedRooms()[0] ?? "#lobby") as GroupId;
      }
    });
  }

  get currentRoom(): string {
    return this.client.label(this.current);
  }

  /** Makes `label`, a room you are in, the current room (the full-screen UI switches rooms by key). */
  selectRoom(label: string): boolean {
    const groupId = this.client.resolveRoom(label);
    if (groupId === undefined || !this.client.joinedRooms().includes(groupId)) return false;
    this.current = groupId;
    return true;
  }

  /** Runs one command. Returns "quit" when the user asked to leave. */
  async run(command: Command): Promise<"quit" | undefined> {
    try {
      return await this.execute(command);
    } catch (error) {
      const code = error instanceof ClientError ? error.code : "INTERNAL";
      this.sink({ type: "error", code, message: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  private async execute(command: Command): Promise<"quit" | undefined> {
    const client = this.client;
    switch (command.kind) {
      case "text":
        await client.send(this.current, command.text);
        return;
      case "msg":
        await client.sendPrivate(command.name, command.text);
        return;
      case "join": {
        const groupId = command.room.startsWith("@")
          ? await client.openPrivate(command.room.slice(1) as UserName)
          : (client.resolveRoom(command.room) as GroupId);
        if (!command.room.startsWith("@")) await client.join(groupId);
        this.current = groupId;
        this.sink({ type: "info", message: `now talking in ${client.label(groupId)}` });
        return;
      }
      case "leave":
        await client.leave(this.current);
        return;
      case "invite":
        await client.invite(this.current, command.name);
        return;
      case "kick":
        await client.kick(this.current, command.name);
        return;
      case "who":
        if (command.all) this.sink({ type: "online", names: await client.whoOnline() });
        else this.sink({ type: "who", room: this.currentRoom, members: client.who(this.current) });
        return;
      case "rooms":
        this.sink({ type: "rooms", rooms: await client.rooms() });
        return;
      case "history":
        this.sink({ type: "history", room: this.currentRoom, messages: client.history(this.current, command.count) });
        return;
      case "fingerprint":
        this.sink({
          type: "fingerprint",
          name: command.name ?? client.name,
          fingerprint: await client.fingerprintOf(command.name),
        });
        return;
      case "help":
        this.sink({ type: "info", message: helpText.join("\n") });
        return;
      case "quit":
        return "quit";
      case "invalid":
        this.sink({ type: "error", code: "BAD_COMMAND", message: command.message });
        return;
    }
  }
}
