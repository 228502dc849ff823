import { readFileSync } from "node:fs";
import { adminUsage, runAdmin } from "./admin-command.js";
import { chatUsage, linkUsage, runChat } from "./chat-command.js";
import { CliExit, exitCodes } from "./exit.js";
import { runServer, serverUsage } from "./server-command.js";
import { runWebHash, webHashUsage } from "./web-client.js";

const usage = `usage:\n  ${serverUsage}\n  ${chatUsage}\n  ${linkUsage}\n  ${adminUsage}\n  ${webHashUsage}`;

/** The version of this build, from the CLI package's package.json. */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

const usageOf = {
  server: serverUsage,
  chat: chatUsage,
  link: linkUsage,
  admin: adminUsage,
  "web-hash": webHashUsage,
} as const;

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  // --help and --version work on every command, before its own flags are checked.
  if (rest.includes("--help") || rest.includes("-h")) {
    const known = command !== undefined && Object.hasOwn(usageOf, command);
    process.stdout.write(`usage: ${known ? usageOf[command as keyof typeof usageOf] : usage}\n`);
    return;
  }
  if (command === "--version" || rest.includes("--version")) {
    process.stdout.write(`secure-chat ${version()}\n`);
    return;
  }
  switch (command) {
    case "server":
      return runServer(rest);
    case "chat":
      return runChat(rest);
    case "link":
      return runChat(rest, true);
    case "admin":
      return runAdmin(rest);
    case "web-hash":
      return runWebHash(rest);
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(`${usage}\n`);
      return;
    default:
      throw new CliExit(
        exitCodes.usage,
        "BAD_COMMAND",
        `${command === undefined ? "no command given" : `unknown command ${command}`}\n${usage}`,
      );
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliExit) {
    process.stderr.write(`secure-chat: ${error.code}: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(
    `secure-chat: INTERNAL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(exitCodes.failure);
});
