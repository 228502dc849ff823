import type { ChatClient } from "@secure-chat/client";
import type { UserName } from "@secure-chat/protocol";
import { closeTelling } from "../closing.js";
import { TuiController, type ClientPort, type SessionPort } from "./controller.js";
import { frameOf, frameUpdate, type Frame } from "./frame.js";
import { disableBracketedPaste, enableBracketedPaste, splitInput } from "./keys.js";
import { loadSavedRooms, saveRooms } from "./saved-rooms.js";

/**
 * Runs the full-screen UI on the terminal: the alternate screen (the shell's screen comes back
 * untouched on exit), raw input with bracketed paste, frames, resizes, the bell, and a clean exit.
 *
 * Frames are coalesced: a change schedules one frame, drawn once the events already read have
 * been handled (a burst of messages is one frame, not one per message) and at most every
 * FRAME_MS, and only the rows that changed are written.
 */

const ENTER_ALT_SCREEN = "\x1b[?1049h";
const LEAVE_ALT_SCREEN = "\x1b[?1049l";
const SHOW_CURSOR = "\x1b[?25h";
const BELL = "\x07";
/** The shortest time between two frames (60 a second). */
const FRAME_MS = 16;

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

/** Draws the controller's snapshots on the terminal, one coalesced frame at a time. */
export class FrameWriter {
  private drawn: Frame | undefined;
  private drawnGeneration = -1;
  private lastAt = 0;
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly controller: Pick<TuiController, "getSnapshot">,
    private readonly terminal: { write(bytes: string): unknown },
  ) {}

  readonly schedule = (): void => {
    if (this.scheduled !== undefined || this.stopped) return;
    const wait = this.lastAt + FRAME_MS - performance.now();
    // setImmediate: after the input and socket events already read, so they share this frame.
    this.scheduled = wait <= 0 ? setImmediate(this.draw) : setTimeout(this.draw, wait);
  };

  private readonly draw = (): void => {
    this.scheduled = undefined;
    if (this.stopped) return;
    this.lastAt = performance.now();
    const snapshot = this.controller.getSnapshot();
    // Ctrl+L and resizes bump the generation: the screen is cleared and drawn whole.
    const previous = snapshot.generation === this.drawnGeneration ? this.drawn : undefined;
    const next = frameOf(snapshot);
    const bytes = frameUpdate(previous, next);
    this.drawn = next;
    this.drawnGeneration = snapshot.generation;
    if (bytes !== "") this.terminal.write(bytes);
  };

  stop(): void {
    this.stopped = true;
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled as NodeJS.Immediate);
      clearTimeout(this.scheduled as NodeJS.Timeout);
    }
  }
}

export function createTui(options: TuiOptions): Tui {
  const stdout = process.stdout;
  const stdin = process.stdin;
  let restored = false;
  let writer: FrameWriter | undefined;
  const restoreTerminal = (): void => {
    if (restored) return;
    restored = true;
    writer?.stop();
    if (stdin.isTTY) stdin.setRawMode(false);
    stdout.write(disableBracketedPaste + SHOW_CURSOR + LEAVE_ALT_SCREEN);
  };
  let finish: () => void = () => {};
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
    onQuit: () => {
      restoreTerminal();
      finish();
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
      writer = new FrameWriter(controller, stdout);
      controller.subscribe(writer.schedule);
      stdout.write(ENTER_ALT_SCREEN + enableBracketedPaste);
      process.once("exit", restoreTerminal);
      stdout.on("resize", () => controller.resize(stdout.columns, stdout.rows));
      process.once("SIGTERM", () => controller.quit());
      process.once("SIGHUP", () => controller.quit());
      controller.resize(stdout.columns, stdout.rows);
      readKeys(stdin, controller.onInput);
      await new Promise<void>((resolve) => (finish = resolve));
    },
  };
}

/** Raw terminal input, split into tokens for the controller. */
function readKeys(stdin: NodeJS.ReadStream, onToken: (token: string) => void): void {
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  let pending = "";
  let flush: NodeJS.Immediate | undefined;
  stdin.on("data", (chunk: string) => {
    if (flush !== undefined) clearImmediate(flush);
    const split = splitInput(pending, chunk);
    pending = split.pending;
    split.tokens.forEach(onToken);
    // A sequence cut off with nothing more to read is what it is (a lone ESC is the Escape key).
    if (pending !== "") {
      flush = setImmediate(() => {
        const token = pending;
        pending = "";
        onToken(token);
      });
    }
  });
  stdin.resume();
}
