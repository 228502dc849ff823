import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CliExit, exitCodes } from "./exit.js";

export const webHashUsage = "secure-chat web-hash";

/**
 * Where the built browser client is: the web package's `dist/public`, made by `npm run build`.
 * The CLI depends on that package for these files only; the server is handed the folder.
 */
export function webClientDir(): string {
  const manifest = createRequire(import.meta.url).resolve("@secure-chat/web/package.json");
  return join(dirname(manifest), "dist", "public");
}

/** SHA-256 (hex) of the built index.html, which pins the script and style sheet by their integrity hashes. */
export function builtWebHash(dir: string = webClientDir()): string {
  try {
    return createHash("sha256")
      .update(readFileSync(join(dir, "index.html")))
      .digest("hex");
  } catch (error) {
    throw new CliExit(
      exitCodes.failure,
      "NO_WEB_BUILD",
      `no web client build in ${dir} (${(error as Error).message}); run npm run build`,
    );
  }
}

/** `secure-chat web-hash`: the hash a served page must have, for users to compare (SECURITY.md). */
export function runWebHash(argv: readonly string[]): void {
  if (argv.length > 0)
    throw new CliExit(exitCodes.usage, "BAD_FLAG", `unexpected argument ${argv[0]}\nusage: ${webHashUsage}`);
  process.stdout.write(`${builtWebHash()}  index.html\n`);
}
