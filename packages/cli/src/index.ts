export { parseCommand, type Command } from "@secure-chat/client";
export { parseArgs } from "./args.js";
export { formatHuman } from "./format-human.js";
// The full-screen UI's state and frames, for the bench (bench/src/tui.ts measures them in-process).
export { TuiController } from "./tui/controller.js";
export { FrameWriter } from "./tui/run-tui.js";
