import { useEffect, useRef, useState } from "preact/hooks";
import { parseCommand, presenceKnownWhen } from "@secure-chat/client";
import { groupOfLabel, type GroupId } from "@secure-chat/protocol";
import type { SignedIn } from "../session.js";
import { Composer } from "./composer.js";
import { MemberList } from "./member-list.js";
import { MessagePane } from "./message-pane.js";
import { RoomList } from "./room-list.js";
import { RoomSwitcher } from "./room-switcher.js";
import { useModel } from "./use-model.js";

const LINK_TEXT: Record<string, string> = {
  offline: "offline — reconnecting",
  connecting: "connecting…",
  authenticating: "signing in…",
  catching_up: "catching up…",
  live: "connected",
  halted: "halted: local storage failed, reload the page",
  closed: "signed out",
};

/** The chat screen: rooms, the current room's messages and input, its members; keyboard first. */
export function ChatView({ signedIn, onSignedOut }: { signedIn: SignedIn; onSignedOut: () => void }) {
  const { client, model, session } = signedIn;
  useModel(model);
  const [switcher, setSwitcher] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  const labels = model.roomLabels();
  useEffect(() => input.current?.focus(), []);

  const focusRoom = (label: string): void => {
    model.focus(label);
    input.current?.focus();
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.altKey && /^[1-9]$/.test(event.key)) {
        const label = model.roomLabels()[Number(event.key) - 1];
        if (label !== undefined) {
          event.preventDefault();
          focusRoom(label);
        }
      } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
        event.preventDefault();
        setSwitcher(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [model]);

  // Commands go through the client package's parser and session, as in the terminal.
  const run = async (line: string): Promise<void> => {
    const command = parseCommand(line);
    const outcome = await session.run(command, model.current);
    if (command.kind === "trust") model.trusted(command.name);
    if (outcome?.kind === "focus") focusRoom(outcome.room);
    if (outcome?.kind === "quit") {
      model.notice("signing out once every sent message is stored…");
      await client.close();
      onSignedOut();
    }
  };

  const groupId = groupOfLabel(model.current, client.name) ?? ("#lobby" as GroupId);
  const room = model.room(model.current);
  const presenceKnown = presenceKnownWhen(client.connectionState);
  return (
    <div class="chat">
      <header class="top-bar">
        <span class="brand">secure-chat</span>
        <span class="me">
          {client.name}{" "}
          <span class="fingerprint" title="your key fingerprint">
            {client.fingerprint}
          </span>
        </span>
        <NotificationsButton />
        <span class={`link link-${model.link}`} role="status" aria-live="polite">
          {LINK_TEXT[model.link]}
          {model.link !== "live" && model.linkReason !== undefined ? ` (${model.linkReason})` : ""}
        </span>
      </header>
      {model.keyWarnings.size > 0 && (
        <div class="key-warnings" role="alert">
          {[...model.keyWarnings].map(([name, keys]) => (
            <p key={name}>
              <strong>{name}</strong>'s key changed (was {keys.pinned}, now {keys.presented}). Messages to {name} are
              held until you compare fingerprints with them out of band and type <code>/trust {name}</code>.
            </p>
          ))}
        </div>
      )}
      <RoomList model={model} labels={labels} onPick={focusRoom} />
      <main class="room" aria-label={`Messages in ${model.current}`}>
        <h2 class="room-title">{model.current}</h2>
        <MessagePane room={room} self={client.name} />
        <p class="typing" aria-live="polite">
          {typingText(model.typingIn(model.current))}
        </p>
        <Composer inputRef={input} room={model.current} onLine={run} onTyping={() => void client.typing(groupId)} />
      </main>
      <MemberList members={client.who(groupId)} presenceKnown={presenceKnown} room={model.current} />
      {switcher && (
        <RoomSwitcher
          labels={labels}
          onPick={(label) => {
            setSwitcher(false);
            focusRoom(label);
          }}
          onClose={() => {
            setSwitcher(false);
            input.current?.focus();
          }}
        />
      )}
    </div>
  );
}

/** "bob is typing…", as the terminal's status bar says it; empty when nobody is. */
function typingText(names: string[]): string {
  if (names.length === 0) return "";
  if (names.length > 3) return `${names.length} people are typing…`;
  return `${names.join(", ")} ${names.length === 1 ? "is" : "are"} typing…`;
}

/** Asks for the browser's permission to notify of mentions and private messages (a click must ask). */
function NotificationsButton() {
  const [permission, setPermission] = useState(() =>
    typeof Notification === "undefined" ? "denied" : Notification.permission,
  );
  if (permission !== "default") return null;
  return (
    <button type="button" class="notify" onClick={() => void Notification.requestPermission().then(setPermission)}>
      Notify me of mentions
    </button>
  );
}
