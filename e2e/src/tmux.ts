/** tmux on its own socket: a real terminal for tests that drive the real program by keys. */
import { execFileSync } from "node:child_process";

const TIMEOUT_MS = 30_000;

/** One tmux server on its own socket, with one session whose pane runs the program. */
export class Tmux {
  readonly socket = `secure-chat-tui-${process.pid}-${Math.random().toString(36).slice(2)}`;

  run(args: string[]): string {
    return execFileSync("tmux", ["-u", "-L", this.socket, ...args], {
      encoding: "utf8",
      env: { ...process.env, LANG: "C.UTF-8" },
    });
  }

  start(command: string, cols: number, rows: number): void {
    // remain-on-exit keeps the pane (and what it shows) after the program ends.
    this.run([
      "new-session",
      "-d",
      "-s",
      "main",
      "-x",
      String(cols),
      "-y",
      String(rows),
      command,
      ";",
      "set-option",
      "-t",
      "main",
      "remain-on-exit",
      "on",
    ]);
  }

  screen(): string {
    return this.run(["capture-pane", "-p", "-t", "main"]);
  }

  keys(...keys: string[]): void {
    this.run(["send-keys", "-t", "main", ...keys]);
  }

  type(text: string): void {
    this.run(["send-keys", "-t", "main", "-l", text]);
  }

  paste(text: string): void {
    this.run(["set-buffer", "-b", "clip", text]);
    // -p: bracketed paste, as a terminal does when the program asked for it.
    this.run(["paste-buffer", "-p", "-b", "clip", "-t", "main"]);
  }

  resize(cols: number, rows: number): void {
    this.run(["resize-window", "-t", "main", "-x", String(cols), "-y", String(rows)]);
  }

  /** Polls the screen until `check` passes (it throws while the screen is not there yet). */
  async waitFor(what: string, check: (screen: string, lines: string[]) => void): Promise<string> {
    const deadline = Date.now() + TIMEOUT_MS;
    let last: unknown;
    let screen: string;
    for (;;) {
      screen = this.screen();
      try {
        check(screen, screen.split("\n"));
        return screen;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}: ${(last as Error).message}\n--- screen ---\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  kill(): void {
    try {
      this.run(["kill-server"]);
    } catch {
      // already gone
    }
  }
}
