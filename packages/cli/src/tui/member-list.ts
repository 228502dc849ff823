import { nameColor } from "./colors.js";
import { fillHeight, type StyledLine } from "./styled.js";
import { fit } from "./text-width.js";
import { presenceMark } from "../format-human.js";
import { memberListView, type TuiState } from "./view-model.js";

/** Members of the shown room with their online state (● online, ○ offline, ? unknown while offline), online first. */
export function memberListLines(state: TuiState, width: number, height: number): StyledLine[] {
  const members = memberListView(state);
  const lines: StyledLine[] = [[{ text: fit(`Members (${members.length})`, width), bold: true, color: "gray" }]];
  const room = members.length > height - 1 ? height - 2 : height - 1;
  for (const member of members.slice(0, Math.max(0, room))) {
    lines.push([
      { text: `${presenceMark(member.online)} `, color: member.online === true ? "greenBright" : "gray" },
      {
        text: fit(member.name, width - 2),
        color: member.online === false ? "gray" : nameColor(member.name),
        bold: member.self,
      },
    ]);
  }
  if (members.length > room && room >= 0) lines.push([{ text: fit(` … ${members.length - room} more`, width) }]);
  return fillHeight(lines, width, height);
}
