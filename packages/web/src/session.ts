import {
  ChatClient,
  ChatSession,
  ClientError,
  errorCode,
  linkNewDevice,
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
  /** Deletes the saved state of `name` in this browser. */
  forget(name: UserName): Promise<void>;
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
 * Failures of a first sign-in after which nothing of the new identity is on the server: its
 * state is deleted again, so the name can be tried again or another one chosen (as the terminal
 * removes a new home folder).
 */
const NOTHING_REGISTERED = new Set(["UNREACHABLE", "NAME_CONFUSABLE", "NAME_TAKEN"]);

/**
 * How this browser comes to the name: it has state for it, it is to make a new account, or it
 * is to become a new device of an account that exists (the account's first device types the
 * code and approves once both show the same short authentication string).
 */
export type Arrival =
  | { kind: "returning" }
  | { kind: "new-account" }
  | { kind: "new-device"; label: string; onCode(code: string): void; onSas(sas: string): void };

/**
 * Signs in as the terminal client starts: unlock the store, (link this device,) log in, catch
 * up, join #lobby. The model hears every event from the start, so nothing that arrives during
 * catch-up is lost; saved history is merged in after.
 */
export async function signIn(
  adapters: PageAdapters,
  rawName: string,
  passphrase: string,
  arrival: Arrival,
  notices: { typing: boolean } = { typing: true },
): Promise<SignedIn> {
  const name = parseUserName(rawName.trim());
  if (name === undefined)
    throw new ClientError("BAD_ARGUMENT", `${rawName} is not a valid name: 1-32 of a-z, 0-9, _ and -`);
  const store = await adapters.openStore(name, passphrase);
  const { server, socketFactory } = adapters;
  if (arrival.kind === "new-device") {
    try {
      await linkNewDevice({ account: name, server, socketFactory, store, ...arrival });
    } catch (error) {
      // Not linked: nothing of this device is on the server, and its state goes.
      await store.close();
      await adapters.forget(name);
      throw error;
    }
  }
  const client = new ChatClient({ name, server, store, socketFactory, typing: notices.typing });
  const model = new ChatModel(name, Date.now, adapters.notify);
  const events = new UiEvents(name, () => client.joinedRooms().flatMap((g) => client.who(g)));
  client.on((event) => events.from(event).forEach((uiEvent) => model.apply(uiEvent)));
  try {
    await client.start();
  } catch (error) {
    await store.close();
    if (arrival.kind === "new-account" && NOTHING_REGISTERED.has(errorCode(error))) await adapters.forget(name);
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
