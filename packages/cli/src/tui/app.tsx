import { useCursor, useStdin } from "ink";
import { useEffect, useSyncExternalStore } from "react";
import type { TuiController } from "./controller.js";
import { inputLine } from "./input-line.js";
import { Screen } from "./screen.js";

/**
 * The live app: renders the controller's snapshots, feeds it the terminal's input, and puts
 * the terminal cursor on the input line.
 */
export function App({ controller }: { controller: TuiController }) {
  const snapshot = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  // Ink's stdin context: raw mode, and its emitter of raw input tokens (one escape sequence or
  // one run of text each), which `keys.ts` decodes.
  const { setRawMode, internal_eventEmitter: inputEvents } = useStdin();
  useEffect(() => {
    setRawMode(true);
    inputEvents.on("input", controller.onInput);
    return () => {
      inputEvents.off("input", controller.onInput);
      setRawMode(false);
    };
  }, [controller, inputEvents, setRawMode]);
  const { setCursorPosition } = useCursor();
  const { layout, current } = snapshot.view;
  const cursorX = inputLine(current, snapshot.editor, layout.cols).cursorX;
  setCursorPosition({ x: Math.min(cursorX, layout.cols - 1), y: layout.frameRows - 1 });
  return <Screen snapshot={snapshot} />;
}
