import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The room list as the full-screen UI last showed it, kept in the home folder (`rooms.json`):
 * its order, so a room keeps its number (Alt+3 opens the same room after a restart, as in irssi),
 * and the rooms you were removed from, which stay listed, greyed, with their stored history.
 * Only labels are kept, no message text; the file is a convenience, so a missing or damaged one
 * means the usual order, and a failed write loses only the order.
 */
export interface SavedRoom {
  readonly room: string;
  readonly joined: boolean;
}

const FILE = "rooms.json";

export function loadSavedRooms(home: string): SavedRoom[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(home, FILE), "utf8"));
  } catch {
    return [];
  }
  const rooms = (parsed as { rooms?: unknown } | null)?.rooms;
  if (!Array.isArray(rooms)) return [];
  return rooms.flatMap((entry: unknown) => {
    const { room, joined } = (entry ?? {}) as Record<string, unknown>;
    return typeof room === "string" && typeof joined === "boolean" ? [{ room, joined }] : [];
  });
}

export function saveRooms(home: string, rooms: readonly SavedRoom[]): void {
  const path = join(home, FILE);
  try {
    // Written aside and renamed, so a crash mid-write leaves the previous list.
    writeFileSync(`${path}.tmp`, `${JSON.stringify({ rooms })}\n`, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  } catch {
    // A full disk or a read-only home costs the saved order, nothing else.
  }
}
