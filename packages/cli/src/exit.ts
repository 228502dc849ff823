/** Exit codes of the `secure-chat` command. */
export const exitCodes = { ok: 0, failure: 1, usage: 2 } as const;

/** A fatal error: one clear stderr line, then the given exit code. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
