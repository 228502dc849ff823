import { existsSync } from "node:fs";
import { join } from "node:path";
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
function promptHidden(prompt: string): Promise<string> {
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

/**
 * The passphrase that seals this home folder: from SECURE_CHAT_PASSPHRASE (scripts, bots),
 * else typed at the terminal (twice when the folder is new).
 */
export async function obtainPassphrase(home: string): Promise<string> {
  const isNew = !existsSync(join(home, "client.db"));
  const fromEnv = process.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return isNew ? requireStrongEnough(fromEnv) : fromEnv;
  if (process.stdin.isTTY !== true) {
    throw new CliExit(
      exitCodes.failure,
      "NO_PASSPHRASE",
      `the local state is encrypted: set ${PASSPHRASE_ENV} or run in a terminal to type the passphrase`,
    );
  }
  if (!isNew) return promptHidden("Passphrase: ");
  const chosen = requireStrongEnough(await promptHidden(`Choose a passphrase to encrypt ${home}: `));
  if ((await promptHidden("Type it again: ")) !== chosen) {
    throw new CliExit(exitCodes.failure, "BAD_PASSPHRASE", "the two passphrases differ");
  }
  return chosen;
}
