/** How times, days and names look in the page. */

const pad = (n: number): string => String(n).padStart(2, "0");

/** `14:05`, in the viewer's time zone. */
export function timeOfDay(ms: number): string {
  const at = new Date(ms);
  return `${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** A local calendar day, to tell where a day separator goes. */
export function dayKey(ms: number): string {
  const at = new Date(ms);
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** `Today`, `Yesterday`, or the date written out. */
export function dayLabel(ms: number, now: number): string {
  const key = dayKey(ms);
  if (key === dayKey(now)) return "Today";
  if (key === dayKey(now - 86_400_000)) return "Yesterday";
  return new Date(ms).toLocaleDateString(undefined, {
    weekday: "long",
    year: "numeric",
    month: "long",
    day: "numeric",
  });
}

export const SENDER_COLOURS = 8;

/** FNV-1a of the name: a name has the same colour class (`sender-0` … `sender-7`) everywhere. */
export function senderClass(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `sender-${h % SENDER_COLOURS}`;
}
