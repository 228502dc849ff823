import { isCipherSuiteKey } from "@secure-chat/protocol";
import { defaultServerConfig, startServer } from "@secure-chat/server";
import { numberFlag, parseArgs } from "./args.js";
import { CliExit, exitCodes } from "./exit.js";

export const serverUsage =
  "secure-chat server [--host 127.0.0.1] [--port 7447] [--data DIR] [--suite xwing|x25519] [--heartbeat SECONDS]";

export async function runServer(argv: readonly string[]): Promise<void> {
  const parsed = parseArgs(argv, {
    host: "string",
    port: "string",
    data: "string",
    suite: "string",
    heartbeat: "string",
  });
  if (parsed.kind === "error")
    throw new CliExit(exitCodes.usage, "BAD_FLAG", `${parsed.message}\nusage: ${serverUsage}`);
  if (parsed.positionals.length > 0) {
    throw new CliExit(
      exitCodes.usage,
      "BAD_FLAG",
      `unexpected argument ${parsed.positionals[0]}\nusage: ${serverUsage}`,
    );
  }
  const { host, port, data, suite } = parsed.flags as Record<string, string | undefined>;
  const heartbeat = numberFlag(parsed.flags.heartbeat, "heartbeat", { min: 0.05, max: 3600 });
  if (heartbeat.kind === "error") throw new CliExit(exitCodes.usage, "BAD_FLAG", heartbeat.message);
  const portNumber = port === undefined ? defaultServerConfig.port : Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) {
    throw new CliExit(exitCodes.usage, "BAD_FLAG", `--port must be a number from 0 to 65535, not ${port}`);
  }
  if (suite !== undefined && !isCipherSuiteKey(suite)) {
    throw new CliExit(exitCodes.usage, "BAD_FLAG", `--suite must be xwing or x25519, not ${suite}`);
  }
  let server;
  try {
    server = await startServer({
      host: host ?? defaultServerConfig.host,
      port: portNumber,
      dataDir: data ?? defaultServerConfig.dataDir,
      cipherSuite: suite ?? defaultServerConfig.cipherSuite,
      heartbeatMs: heartbeat.value === undefined ? defaultServerConfig.heartbeatMs : heartbeat.value * 1000,
    });
  } catch (error) {
    throw new CliExit(exitCodes.failure, "LISTEN_FAILED", `cannot start the server: ${(error as Error).message}`);
  }
  process.stdout.write(`secure-chat server listening on ${server.url}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(exitCodes.ok));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
