import type { UiEvent } from "./ui-events.js";

/** A device added to or removed from a room, in the words both interfaces use. */
export function deviceChange(event: Extract<UiEvent, { type: "device" }>): string {
  const whose = event.account;
  return event.change === "added"
    ? `${whose} added a device: ${event.device} (key ${event.fingerprint}) is in ${event.room} now`
    : `${whose}'s device ${event.device} was removed from ${event.room} by ${event.by}`;
}

/** A leaf under a device name that its account never certified, refused. */
export function deviceRefusal(event: Extract<UiEvent, { type: "device_refused" }>): string {
  return `WARNING: refused ${event.device}: ${event.reason}. The server may be trying to add a device to that account; nothing it sends is shown.`;
}

/** Being added to a room by someone else, in words: it is news, and says how to go there. */
export function invitation(room: string, by: string): string {
  return room.startsWith("@")
    ? `${by} started a private conversation with you (/join ${room} to talk there)`
    : `${by} invited you to ${room} (/join ${room} to talk there)`;
}
