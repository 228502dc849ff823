import type { HistoryEntry } from "./store.js";

/**
 * The parts of a history entry beyond its text (a reply's target, edited, deleted, reactions, an attached file),
 * as a store adapter seals them beside the text. Undefined when there are none, so a plain
 * message costs nothing more to store.
 */
export type HistoryExtra = Pick<HistoryEntry, "replyTo" | "edited" | "deleted" | "reactions" | "file">;

export function historyExtraOf(entry: HistoryEntry): HistoryExtra | undefined {
  const { replyTo, edited, deleted, reactions, file } = entry;
  const extra: HistoryExtra = {
    ...(replyTo === undefined ? {} : { replyTo }),
    ...(edited === true ? { edited } : {}),
    ...(deleted === true ? { deleted } : {}),
    ...(reactions === undefined || reactions.length === 0 ? {} : { reactions }),
    ...(file === undefined ? {} : { file }),
  };
  return Object.keys(extra).length === 0 ? undefined : extra;
}
