import { visibleLines } from "./scrollback.js";
import type { StyledLine } from "./styled.js";
import { paneGeometry, type TuiState } from "./view-model.js";

/** The lines of the shown room's scrollback that fit the pane, at its scroll position. */
export function messagePaneLines(state: TuiState): StyledLine[] {
  const room = state.rooms.get(state.current);
  const height = state.layout.paneHeight;
  if (room === undefined) return Array.from({ length: height }, () => []);
  return visibleLines(room, paneGeometry(state, room));
}
