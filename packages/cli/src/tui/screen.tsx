import { Box, Text } from "ink";
import { statusLine, titleLine } from "./bars.js";
import type { Snapshot } from "./controller.js";
import { HelpOverlay } from "./help-overlay.js";
import { InputLine } from "./input-line.js";
import { MemberList } from "./member-list.js";
import { MessagePane } from "./message-pane.js";
import { RoomList } from "./room-list.js";
import { Line } from "./styled-line.js";

function Rule({ height }: { height: number }) {
  return (
    <Box flexDirection="column" width={1} height={height}>
      <Text color="gray">{Array.from({ length: height }, () => "│").join("\n")}</Text>
    </Box>
  );
}

/** The whole screen for one snapshot: a pure function of the state (tests render it to a string). */
export function Screen({ snapshot }: { snapshot: Snapshot }) {
  const { view, editor } = snapshot;
  const layout = view.layout;
  const height = layout.paneHeight;
  return (
    <Box flexDirection="column" width={layout.cols} height={layout.frameRows}>
      <Line line={titleLine(view, layout.cols)} />
      {view.help ? (
        <HelpOverlay width={layout.cols} height={height} />
      ) : (
        <Box flexDirection="row" height={height}>
          {layout.roomListWidth > 0 && <RoomList state={view} width={layout.roomListWidth} height={height} />}
          {layout.roomListWidth > 0 && <Rule height={height} />}
          <MessagePane state={view} />
          {layout.memberListWidth > 0 && <Rule height={height} />}
          {layout.memberListWidth > 0 && <MemberList state={view} width={layout.memberListWidth} height={height} />}
        </Box>
      )}
      <Line line={statusLine(view, layout.cols)} />
      <InputLine room={view.current} editor={editor} cols={layout.cols} />
    </Box>
  );
}
