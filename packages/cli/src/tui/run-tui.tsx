import type { ChatClient } from "@secure-chat/client";
import type { UserName } from "@secure-chat/protocol";
import { render, type Instance } from "ink";
import { closeTelling } from "../closing.js";
import { App } from "./app.js";
import { TuiController, type ClientPort, type SessionPort } from "./controller.js";
import { disableBracketedPaste, enableBracketedPaste } from "./keys.js";
import { loadSavedRooms, saveRooms } from "./saved-rooms.js";

/**
 * Runs the full-screen UI on the terminal: the alternate screen (the shell's screen comes back
 * untouched on exit), bracketed paste, Ink rendering, resizes, the bell, and a clean exit.
 */

const ENTER_ALT_SCREEN = "\x1b[?1049h";
const LEAVE_ALT_SCREEN = "\x1b[?1049l";
const CLEAR_SCREEN = "\x1b[2J\x1b[H";
const SHOW_CURSOR = "\x1b[?25h";
const BELL = "\x07";

export interface TuiOptions {
  self: UserName;
  server: string;
  /** The home folder: the room list is kept there (rooms.json). */
  home: string;
  client: ClientPort & Pick<ChatClient, "close" | "outboxEmpty">;
  bell: boolean;
}

export interface Tui {
  /** Sink for client events and command replies; connect it before the client starts. */
  readonly controller: TuiController;
  /** Takes over the terminal until the user quits; then the process exits with status 0. */
  run(session: SessionPort): Promise<void>;
}

export function createTui(options: TuiOptions): Tui {
  const stdout = process.stdout;
  let instance: Instance | undefined;
  let restored = false;
  const restoreTerminal = (): void => {
    if (restored) return;
    restored = true;
    stdout.write(disableBracketedPaste + SHOW_CURSOR + LEAVE_ALT_SCREEN);
  };
  const redraw = (): void => {
    stdout.write(CLEAR_SCREEN);
    instance?.clear();
  };
  const controller = new TuiController({
    self: options.self,
    server: options.server,
    cols: stdout.columns || 80,
    rows: stdout.rows || 24,
    client: options.client,
    bell: options.bell,
    savedRooms: loadSavedRooms(options.home),
    saveRooms: (rooms) => saveRooms(options.home, rooms),
    ringBell: () => stdout.write(BELL),
    onRedraw: redraw,
    onQuit: () => {
      instance?.unmount();
      restoreTerminal();
      // Exit once what was written to the terminal has been flushed.
      const exit = (code: number) => (): void => void stdout.write("", () => process.exit(code));
      const tell = (line: string): void => void process.stderr.write(`secure-chat: ${line}\n`);
      void closeTelling(options.client, tell).then(exit(0), exit(1));
    },
  });

  return {
    controller,
    async run(session) {
      controller.attach(session);
      stdout.write(ENTER_ALT_SCREEN + CLEAR_SCREEN + enableBracketedPaste);
      process.once("exit", restoreTerminal);
      // Registered before Ink's own handler, so the new size is in the state before Ink repaints.
      stdout.on("resize", () => {
        redraw();
        controller.resize(stdout.columns, stdout.rows);
      });
      process.once("SIGTERM", () => controller.quit());
      process.once("SIGHUP", () => controller.quit());
      controller.resize(stdout.columns, stdout.rows);
      instance = render(<App controller={controller} />, {
        exitOnCtrlC: false,
        maxFps: 30,
      });
      await instance.waitUntilExit();
    },
  };
}
