import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import type { UiMessage } from "@secure-chat/client";
import type { PaneItem, RoomView } from "./chat-model.js";
import { dayKey, dayLabel, senderClass, timeOfDay } from "./format.js";
import { mentions } from "./chat-model.js";

/**
 * A room's messages with day separators, times and sender colours. Message text is only ever a
 * text node (Preact escapes it): never HTML. New messages are announced (role=log is a polite
 * live region). It stays scrolled to the bottom unless the reader scrolled up.
 */
export function MessagePane({ room, self }: { room: RoomView; self: string }) {
  const pane = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  useLayoutEffect(() => {
    const element = pane.current;
    if (element !== null && pinned.current) element.scrollTop = element.scrollHeight;
  });
  const now = Date.now();
  const byId = new Map(
    room.items.flatMap((item) => (item.kind === "message" ? [[item.message.id, item.message]] : [])),
  );
  const rows: ComponentChildren[] = [];
  let lastDay = "";
  for (const item of room.items) {
    const at = itemTime(item);
    if (dayKey(at) !== lastDay) {
      lastDay = dayKey(at);
      rows.push(
        <div key={`day-${lastDay}`} class="day" role="separator">
          {dayLabel(at, now)}
        </div>,
      );
    }
    rows.push(itemRow(item, self, byId, room.seen));
  }
  return (
    <div
      class="messages"
      ref={pane}
      role="log"
      aria-live="polite"
      aria-label={`Messages in ${room.label}`}
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {rows}
    </div>
  );
}

const itemTime = (item: PaneItem): number => (item.kind === "message" ? item.message.sentAt : item.at);

function itemRow(item: PaneItem, self: string, byId: ReadonlyMap<string, UiMessage>, seen: string | undefined) {
  if (item.kind === "notice") {
    return (
      <div key={item.key} class={`notice ${item.tone}`}>
        <time>{timeOfDay(item.at)}</time> <span class="text">{item.text}</span>
      </div>
    );
  }
  const { message } = item;
  const highlight = message.from !== self && mentions(message.text, self);
  const quoted = message.replyTo === undefined ? undefined : byId.get(message.replyTo);
  return (
    <div key={message.id} class={highlight ? "message mention" : "message"}>
      {message.replyTo === undefined ? null : (
        <div class="reply">
          ↪{" "}
          {quoted === undefined
            ? "an earlier message"
            : `${quoted.from}: ${quoted.deleted === true ? "(message deleted)" : quoted.text}`}
        </div>
      )}
      <time dateTime={new Date(message.sentAt).toISOString()}>{timeOfDay(message.sentAt)}</time>{" "}
      <span class={`from ${senderClass(message.from)}`}>{message.from}</span>{" "}
      {message.deleted === true ? (
        <span class="text deleted">(message deleted)</span>
      ) : (
        <span class="text">{message.text}</span>
      )}
      {message.edited === true ? <span class="edited"> (edited)</span> : null}
      {message.reactions === undefined ? null : (
        <div class="reactions">
          {message.reactions.map((r) => (
            <span key={r.emoji} class="reaction" title={r.from.join(", ")}>
              {r.emoji} {r.from.length}
            </span>
          ))}
        </div>
      )}
      {message.id === seen ? <div class="seen">seen</div> : null}
    </div>
  );
}
