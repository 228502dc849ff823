import { parseUserName } from "@secure-chat/protocol";
import { defaultServerConfig, openStorage } from "@secure-chat/server";
import { parseArgs } from "./args.js";
import { CliExit, exitCodes } from "./exit.js";

export const adminUsage = "secure-chat admin release-name [--data DIR] NAME";

/**
 * Operator commands on a server's data directory. `release-name` is the way back for a user
 * whose device (and key) is lost: their next login registers a new key, and peers are warned.
 */
export async function runAdmin(argv: readonly string[]): Promise<void> {
  const parsed = parseArgs(argv, { data: "string" });
  if (parsed.kind === "error")
    throw new CliExit(exitCodes.usage, "BAD_FLAG", `${parsed.message}\nusage: ${adminUsage}`);
  const [action, rawName, extra] = parsed.positionals;
  if (action !== "release-name" || rawName === undefined || extra !== undefined) {
    throw new CliExit(exitCodes.usage, "BAD_COMMAND", `usage: ${adminUsage}`);
  }
  const name = parseUserName(rawName);
  if (name === undefined) throw new CliExit(exitCodes.usage, "BAD_NAME", `${rawName} is not a valid name`);
  const storage = openStorage((parsed.flags.data as string | undefined) ?? defaultServerConfig.dataDir);
  try {
    if ((await storage.releaseName(name)) === "unknown") {
      throw new CliExit(exitCodes.failure, "NO_SUCH_USER", `nobody is registered as ${name}`);
    }
  } finally {
    await storage.close();
  }
  process.stdout.write(
    `released ${name}: their next login registers a new key and rejoins open rooms; peers see a key-change ` +
      `warning. Restart the server if it is running.\n`,
  );
}
