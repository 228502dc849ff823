import { existsSync } from "node:fs";
import { join } from "node:path";
import { ClientError } from "@secure-chat/client";
import { CliExit, exitCodes } from "./exit.js";

export const PASSPHRASE_ENV = "SECURE_CHAT_PASSPHRASE";
/** The one rule for a new home's passphrase, typed or from the environment. */
const MIN_LENGTH = 8;

function requireStrongEnough(passphrase: string): string {
  if ([...passphrase].length < MIN_LENGTH) {
    throw new CliExit(
      exitCodes.failure,
      "WEAK_PASSPHRASE",
      `a new home's passphrase needs at least ${MIN_LENGTH} characters (it is all that protects the keys on disk)`,
    );
  }
  return passphrase;
}

/** Reads a line from the terminal without echoing it. */
export function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let typed = "";
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n") {
          stdin.off("data", onData);
          stdin.setRawMode(false);
          stdin.pause();
          process.stderr.write("\n");
          resolve(typed);
          return;
        }
        if (char === "\u0003") {
          process.stderr.write("\n");
          process.exit(exitCodes.failure);
        }
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.on("data", onData);
  });
}

/** Typed passphrases: a wrong or mistyped one is asked for again, this many times in all. */
export const PASSPHRASE_TRIES = 3;

/** Reads a typed line without showing it. */
export type Prompt = (prompt: string) => Promise<string>;

/** A typed new passphrase, strong enough and typed the same twice, or why not. */
async function chooseNew(home: string, prompt: Prompt): Promise<string> {
  const chosen = requireStrongEnough(await prompt(`Choose a passphrase to encrypt ${home}: `));
  if ((await prompt("Type it again: ")) !== chosen) {
    throw new CliExit(exitCodes.failure, "BAD_PASSPHRASE", "the two passphrases differ");
  }
  return chosen;
}

/**
 * Opens this home folder with its passphrase: from SECURE_CHAT_PASSPHRASE (scripts, bots; one
 * try), else typed at the terminal (twice when the folder is new). A typed passphrase that is
 * wrong, too short or typed differently the second time is asked for again, up to
 * PASSPHRASE_TRIES times; `open` throws a ClientError BAD_PASSPHRASE for a wrong one.
 * `prompt` is undefined when there is no terminal to type at.
 */
export async function unlockHome<T>(
  home: string,
  open: (passphrase: string) => T,
  prompt: Prompt | undefined,
  tell: (line: string) => void,
): Promise<T> {
  const isNew = !existsSync(join(home, "client.db"));
  const fromEnv = process.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return open(isNew ? requireStrongEnough(fromEnv) : fromEnv);
  if (prompt === undefined) {
    throw new CliExit(
      exitCodes.failure,
      "NO_PASSPHRASE",
      `the local state is encrypted: set ${PASSPHRASE_ENV} or run in a terminal to type the passphrase`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return open(isNew ? await chooseNew(home, prompt) : await prompt("Passphrase: "));
    } catch (error) {
      const code = error instanceof CliExit || error instanceof ClientError ? error.code : undefined;
      const again = code === "BAD_PASSPHRASE" || code === "WEAK_PASSPHRASE";
      if (!again || attempt >= PASSPHRASE_TRIES) throw error;
      const left = PASSPHRASE_TRIES - attempt;
      tell(`${(error as Error).message}; try again (${left} ${left === 1 ? "try" : "tries"} left)`);
    }
  }
}
