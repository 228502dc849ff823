import { displayWidth, wrapLine } from "./tui/text-width.js";
import {
  deviceChange,
  deviceRefusal,
  invitation,
  seenByText,
  shortId,
  type UiEvent,
  type UiMessage,
} from "@secure-chat/client";

/** A date and time, as `2026-12-04 19:40` (local time). */
function day(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${clock(ms)}`;
}

function clock(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

/** A file's size as people read it: `812 bytes`, `3.4 KB`, `20.0 MB`. */
export function sizeText(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** Reactions after a message: `[👍 2 ❤️ 1]`. */
export function reactionSummary(message: UiMessage): string {
  const counts = message.reactions ?? [];
  return counts.length === 0 ? "" : `[${counts.map((r) => `${r.emoji} ${r.from.length}`).join(" ")}]`;
}

/**
 * `[14:03] #lobby 3fa9c2 <alice> text`: the short id before the sender, where no text of the
 * sender's can stand, so /reply, /react, /edit and /delete can name it.
 */
function messageLine(event: UiMessage): string {
  const reply = event.replyTo === undefined ? "" : `(re ${shortId(event.replyTo)}) `;
  const file =
    event.file === undefined
      ? ""
      : `[file ${event.file.name}, ${sizeText(event.file.size)}: /save ${shortId(event.id)}]`;
  const body = event.deleted === true ? "(deleted)" : `${file}${event.text}${event.edited === true ? " (edited)" : ""}`;
  const reactions = reactionSummary(event);
  return `[${clock(event.serverTs)}] ${event.room} ${shortId(event.id)} <${event.from}> ${reply}${body}${reactions === "" ? "" : ` ${reactions}`}`;
}

/** The mark /who and the side panel put before a name: ● online, ○ offline, ? not known now. */
export function presenceMark(online: boolean | undefined): string {
  return online === undefined ? "?" : online ? "●" : "○";
}

/** One event as the lines a person reads: local time first, e.g. `[14:03] #lobby <alice> hi`. */

export function formatHuman(event: UiEvent, now: number = Date.now()): string[] {
  const at = `[${clock(now)}]`;
  switch (event.type) {
    case "message":
      return [messageLine(event)];
    case "ready":
      return [
        `${at} * connected to ${event.server} as ${event.name} (${event.cipherSuite})`,
        `${at} * your fingerprint: ${event.fingerprint}`,
        `${at} * you are in ${event.room}; /help lists the commands`,
      ];
    case "presence":
      return [`${at} * ${event.name} is ${event.online ? "online" : "offline"}`];
    case "member": {
      const how =
        event.change === "joined" ? "joined" : event.change === "left" ? "left" : `was removed by ${event.by}`;
      return [`${at} ${event.room} * ${event.name} ${how} (key ${event.fingerprint})`];
    }
    case "device":
      return [`${at} ${event.room} * ${deviceChange(event)}`];
    case "device_refused":
      return [`${at} ! ${deviceRefusal(event)}`];
    case "room": {
      const by = event.by === undefined ? "" : ` by ${event.by}`;
      const text = {
        joined: event.by === undefined ? `you joined ${event.room}` : invitation(event.room, event.by),
        created: `you created ${event.room}`,
        left: `you left ${event.room}`,
        removed: `you were removed from ${event.room}${by}`,
        rejoined: `you rejoined ${event.room}: your copy could not follow a change sent${by}`,
      }[event.change];
      return [`${at} * ${text}`];
    }
    case "link":
      return []; // the status bar's business; a person reads the `connection` notices
    case "connection":
      return [
        `${at} * ${event.state === "connected" ? "reconnected" : `connection lost (${event.reason}), reconnecting...`}`,
      ];
    case "key_changed":
      return [
        `${at} ! WARNING: ${event.name}'s key changed: pinned ${event.pinned}, now ${event.presented}.`,
        `${at} ! The server says ${event.name} has a new device. Verify with ${event.name} out of band (/fingerprint ${event.name}), then /trust ${event.name}; until then nothing is sent to the new key.`,
      ];
    case "reaction":
      return [
        event.removed
          ? `${at} ${event.room} * ${event.from} took back ${event.emoji} on ${shortId(event.id)}`
          : `${at} ${event.room} * ${event.from} reacted ${event.emoji} to ${shortId(event.id)}`,
      ];
    case "edit":
      return [`${at} ${event.room} * ${event.from} edited ${shortId(event.id)}: ${event.text}`];
    case "delete":
      return [`${at} ${event.room} * ${event.from} deleted ${shortId(event.id)}`];
    case "unsupported":
      return [
        `${at} ${event.room} * ${event.from} sent ${event.what}, which this version can't show (${shortId(event.id)})`,
      ];
    case "typing":
      return []; // the full-screen UI's status bar says it; as lines it would be noise
    case "seen":
      return [`${at} ${event.room} * seen by ${event.from} (up to ${shortId(event.id)})`];
    case "error":
      return [`${at} ! ${event.code}: ${event.message}`];
    case "who": {
      // The side panel's marks, explained once; fingerprints in one column to compare them by eye.
      // While offline nobody's presence is known: the last list the server sent is not shown as news.
      const width = Math.max(0, ...event.members.map((m) => m.name.length));
      const legend = event.presenceKnown ? "● online, ○ offline" : "? presence unknown while offline";
      return [
        `${at} ${event.room} members (${event.members.length}; ${legend}):`,
        ...event.members.map(
          (m) =>
            `${at}   ${presenceMark(event.presenceKnown ? m.online : undefined)} ${m.name.padEnd(width)}  ${m.fingerprint}`,
        ),
      ];
    }
    case "seen_by":
      return [`${at} ${event.room} * ${seenByText(event)}`];
    case "online":
      return [`${at} * online (${event.names.length}): ${event.names.join(", ")}`];
    case "rooms": {
      const more = event.next === undefined ? [] : [`${at} * more: /rooms ${event.next}`];
      return event.rooms.length === 0
        ? [`${at} * no rooms`]
        : [
            ...event.rooms.map(
              (r) =>
                `${at} ${r.joined ? "*" : " "} ${r.room}  ${r.members} member${r.members === 1 ? "" : "s"}  ${r.kind}`,
            ),
            ...more,
          ];
    }
    case "history":
      return event.messages.length === 0 ? [`${at} * no history in ${event.room}`] : event.messages.map(messageLine);
    case "fingerprint":
      if (event.devices === undefined) return [`${at} * ${event.name}: ${event.fingerprint}`];
      return event.devices.map((d) => `${at} * ${d.device}: ${d.fingerprint}${d.revoked ? " (revoked)" : ""}`);
    case "devices":
      return event.devices.map((d) => {
        const added = d.addedAt === 0 ? "" : `, added ${day(d.addedAt)}`;
        const seen = d.lastSeen === 0 ? "" : `, last seen ${day(d.lastSeen)}`;
        const marks = `${d.thisDevice ? " (this device)" : ""}${d.revoked ? " (revoked)" : ""}`;
        return `${at} * ${d.device}${marks}: ${d.label}, key ${d.fingerprint}${added}${seen}`;
      });
    case "device_link":
      return [
        `${at} * a device "${event.label}" (key ${event.fingerprint}) asks to join your account.`,
        `${at} * Does it show ${event.sas}? If so: /devices approve. If not, do nothing: someone is in between.`,
      ];
    case "info":
      return event.message.split("\n").map((line) => `${at} * ${line}`);
  }
}

/** What starts every continuation line of a folded line: no text of a sender's can start a line. */
export const CONTINUATION = "      ┆ ";

/**
 * One printed line as the rows a terminal `width` columns wide shows: folded here, not by the
 * terminal, so a message padded to the edge can't put a line of its own choosing (a fake
 * `[12:32] #lobby <ceo> …`) at the start of a row. Every row after the first starts with
 * CONTINUATION.
 */
export function foldToWidth(line: string, width: number): string[] {
  const [first = "", ...rest] = wrapLine(line, width);
  if (rest.length === 0) return [first];
  const tail = wrapLine(rest.join(" "), Math.max(1, width - displayWidth(CONTINUATION)));
  return [first, ...tail.map((row) => CONTINUATION + row)];
}
