import { adminUsage, runAdmin } from "./admin-command.js";
import { chatUsage, runChat } from "./chat-command.js";
import { CliExit, exitCodes } from "./exit.js";
import { runServer, serverUsage } from "./server-command.js";

const usage = `usage:\n  ${serverUsage}\n  ${chatUsage}\n  ${adminUsage}`;

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "server":
      return runServer(rest);
    case "chat":
      return runChat(rest);
    case "admin":
      return runAdmin(rest);
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
