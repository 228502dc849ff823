import { uiColors } from "./colors.js";
import { fillHeight, type Segment, type StyledLine } from "./styled.js";
import { fit } from "./text-width.js";
import { roomListView, type RoomListItem, type TuiState } from "./view-model.js";

/** One row: number, name, and the unread count (`3!` when there are mentions or private messages). */
export function roomRow(item: RoomListItem, width: number): StyledLine {
  const count = item.unread > 0 ? `${item.unread}${item.highlights > 0 ? "!" : ""}` : "";
  const number = `${item.number}`.padStart(2, " ");
  const nameWidth = Math.max(1, width - 4 - count.length);
  const text = `${number} ${fit(item.label, nameWidth)}${count === "" ? " " : ` ${count}`}`;
  const style: Omit<Segment, "text"> = item.current
    ? { inverse: true, bold: true }
    : !item.joined
      ? { color: "gray", dim: true }
      : item.highlights > 0
        ? { color: uiColors.highlight, bold: true }
        : item.unread > 0
          ? { color: "whiteBright", bold: true }
          : {};
  return [{ ...style, text: fit(text, width) }];
}

/** The list of rooms and private conversations, scrolled to keep the current one visible. */
export function roomListLines(state: TuiState, width: number, height: number): StyledLine[] {
  const view = roomListView(state, height - 1);
  const lines: StyledLine[] = [[{ text: fit(`Rooms (${state.order.length})`, width), bold: true, color: "gray" }]];
  if (view.above > 0) {
    const active = view.activityAbove > 0 ? `, ${view.activityAbove} active` : "";
    lines.push([{ text: fit(` ↑ ${view.above} more${active}`, width), color: "gray" }]);
  }
  for (const item of view.items) lines.push(roomRow(item, width));
  if (view.below > 0) {
    const active = view.activityBelow > 0 ? `, ${view.activityBelow} active` : "";
    lines.push([{ text: fit(` ↓ ${view.below} more${active}`, width), color: "gray" }]);
  }
  return fillHeight(lines, width, height);
}
