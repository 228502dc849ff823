import {
  ChatClient,
  ChatSession,
  ClientError,
  UiEvents,
  uiMessage,
  type ClientStore,
  type SocketFactory,
  type UiMessage,
} from "@secure-chat/client";
import { parseUserName, roomLabel, type UserName } from "@secure-chat/protocol";
import { ChatModel } from "./ui/chat-model.js";

/** What the composition root hands the page: where the server is and how to reach and store. */
export interface PageAdapters {
  server: string;
  socketFactory: SocketFactory;
  /** Whether this browser already holds state for `name` (a new one is asked for the passphrase twice). */
  hasState(name: UserName): Promise<boolean>;
  openStore(name: UserName, passphrase: string): Promise<ClientStore>;
  /** Tells the user of a mention or a private message (the browser's notifications, when allowed). */
  notify(message: UiMessage): void;
}

export interface SignedIn {
  client: ChatClient;
  model: ChatModel;
  session: ChatSession;
}

/** Messages of each room loaded from the store at sign-in (more with /history). */
const HISTORY_AT_START = 200;

/**
 * Signs in as the terminal client starts: unlock the store, log in, catch up, join #lobby.
 * The model hears every event from the start, so nothing that arrives during catch-up is lost;
 * saved history is merged in after.
 */
export async function signIn(adapters: PageAdapters, rawName: string, passphrase: string): Promise<SignedIn> {
  const name = parseUserName(rawName.trim());
  if (name === undefined)
    throw new ClientError("BAD_ARGUMENT", `${rawName} is not a valid name: 1-32 of a-z, 0-9, _ and -`);
  const store = await adapters.openStore(name, passphrase);
  const client = new ChatClient({ name, server: adapters.server, store, socketFactory: adapters.socketFactory });
  const model = new ChatModel(name, Date.now, adapters.notify);
  const events = new UiEvents(name, () => client.joinedRooms().flatMap((g) => client.who(g)));
  client.on((event) => events.from(event).forEach((uiEvent) => model.apply(uiEvent)));
  try {
    await client.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  for (const groupId of client.joinedRooms()) {
    const label = roomLabel(groupId, name);
    model.loadHistory(
      label,
      (await client.history(groupId, HISTORY_AT_START)).map((m) => uiMessage(m, name)),
    );
  }
  model.apply({
    type: "ready",
    name,
    fingerprint: client.fingerprint,
    server: adapters.server,
    cipherSuite: client.cipherSuite,
    room: "#lobby",
  });
  const session = new ChatSession(client, (event) => model.apply(event));
  return { client, model, session };
}
