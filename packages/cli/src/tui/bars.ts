import { uiColors } from "./colors.js";
import type { Segment, StyledLine } from "./styled.js";
import { displayWidth, fit } from "./text-width.js";
import { memberListView, presenceKnown, scrollInfo, suiteShortName, type TuiState } from "./view-model.js";

/** The one-line bars around the panes: the title bar on top and the status bar above the input. */

function fill(segments: Segment[], width: number, style: Omit<Segment, "text">): StyledLine {
  const out: Segment[] = [];
  let used = 0;
  for (const segment of segments) {
    if (used >= width) break;
    const text = fit(segment.text, Math.min(displayWidth(segment.text), width - used));
    out.push({ ...style, ...segment, text });
    used += displayWidth(text);
  }
  if (used < width) out.push({ ...style, text: " ".repeat(width - used) });
  return out;
}

const kindNames = { open: "open room", invite: "invite-only room", direct: "private conversation" } as const;

/** Top row: the room, what kind it is, how many members and how many of them are online. */
export function titleLine(state: TuiState, width: number): StyledLine {
  const room = state.rooms.get(state.current);
  const members = memberListView(state);
  const online = members.filter((m) => m.online === true).length;
  const presence = presenceKnown(state) ? `${online} online` : "presence unknown while offline";
  const parts: Segment[] = [{ text: ` ${state.current}`, bold: true }];
  if (room !== undefined) {
    parts.push({ text: ` · ${kindNames[room.kind]}` });
    if (room.joined) {
      parts.push({ text: ` · ${members.length} member${members.length === 1 ? "" : "s"}, ${presence}` });
    } else parts.push({ text: " · you are no longer a member" });
    if (room.keyWarnings.length > 0) {
      parts.push({
        text: ` · !! key changed: ${room.keyWarnings.join(", ")}`,
        color: "yellowBright",
        bold: true,
      });
    }
  }
  return fill(parts, width, { color: "whiteBright", inverse: false, bold: false });
}

type Shown = { text: string; color: "yellowBright" | "greenBright" | "redBright" };

/** The link state as the status bar shows it; once started, a link on its way back is RECONNECTING. */
function connectionText(state: TuiState): Shown {
  const back = state.phase === "ready";
  switch (state.connection) {
    case "live":
      return { text: "connected", color: "greenBright" };
    case "halted":
      return { text: "SAVING PAUSED", color: "redBright" };
    case "closed":
      return { text: "DISCONNECTED", color: "redBright" };
    case "catching_up":
      return { text: "catching up…", color: "yellowBright" };
    case "offline":
    case "connecting":
    case "authenticating":
      return back ? { text: "RECONNECTING…", color: "redBright" } : { text: "connecting…", color: "yellowBright" };
  }
}

/** The status bar: connection, server, you, this room's encryption, activity elsewhere, scrolling. */
export function statusLine(state: TuiState, width: number): StyledLine {
  const room = state.rooms.get(state.current);
  const connection = connectionText(state);
  const shortPrint = state.fingerprint.split(" ").slice(0, 2).join(" ");
  const parts: Segment[] = [
    { text: "[" },
    { text: connection.text, color: connection.color, bold: true },
    { text: `] ${state.server} ` },
    { text: "[" },
    { text: state.self, bold: true },
    { text: shortPrint === "" ? "] " : ` ${shortPrint}] ` },
  ];
  if (room === undefined || !room.joined) {
    parts.push({ text: "[not a member: no keys] ", color: "redBright", bold: true });
  } else {
    const suite = suiteShortName(state.cipherSuite);
    parts.push({ text: `[${state.current}: ` }, { text: "E2EE", color: "greenBright", bold: true });
    parts.push({ text: ` MLS${suite === "" ? "" : ` ${suite}`}] ` });
  }
  const activity = state.order.flatMap((label, i) => {
    const r = state.rooms.get(label);
    if (r === undefined || label === state.current || r.unread === 0) return [];
    return [`${i + 1}${r.highlights > 0 ? "!" : ""}`];
  });
  if (activity.length > 0) parts.push({ text: `[act: ${activity.join(",")}] `, color: "yellowBright" });
  // Kept current by the controller's ticks (the client's TYPING_SHOWN_MS).
  const typing = [...(room?.typing.keys() ?? [])];
  if (typing.length > 0) {
    const who =
      typing.length > 3 ? `${typing.length} people are` : `${typing.join(", ")} ${typing.length === 1 ? "is" : "are"}`;
    parts.push({ text: `[${who} typing…] `, color: "cyanBright" });
  }
  const scroll = scrollInfo(state);
  if (scroll.below > 0) parts.push({ text: `-MORE(${scroll.below})-`, color: "yellowBright", bold: true });
  return fill(parts, width, { color: "white", inverse: false });
}

export { uiColors };
