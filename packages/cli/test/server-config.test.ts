import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultServerConfig } from "@secure-chat/server";
import { CliExit, exitCodes } from "../src/exit.js";
import { serverConfigFromArgs } from "../src/server-command.js";

const dir = mkdtempSync(join(tmpdir(), "secure-chat-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Writes `content` (an object as JSON, or text as is) to a new file and returns its path. */
function configFile(content: unknown): string {
  const path = join(dir, `config-${files++}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** Expects the start to be refused with `code` (exit status 2) and a message matching `message`. */
function refused(argv: string[], code: string, message: RegExp): void {
  assert.throws(
    () => serverConfigFromArgs(argv),
    (error: unknown) => {
      assert.ok(error instanceof CliExit, String(error));
      assert.equal(error.code, code);
      assert.equal(error.exitCode, exitCodes.usage);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe("secure-chat server --config", () => {
  it("takes every key as its flag would be taken, units and all", () => {
    const path = configFile({
      host: "0.0.0.0",
      port: 7450,
      data: "/srv/chat",
      suite: "x25519",
      heartbeat: 0.5,
      "retention-days": "30",
      "tls-cert": "/etc/chat/cert.pem",
      "tls-key": "/etc/chat/key.pem",
      "metrics-token-file": "/etc/chat/metrics-token",
      "drain-seconds": 10,
      storage: "postgres://chat@db/chat",
      "no-web": true,
    });
    assert.deepEqual(serverConfigFromArgs(["--config", path]), {
      ...defaultServerConfig,
      host: "0.0.0.0",
      port: 7450,
      dataDir: "/srv/chat",
      cipherSuite: "x25519",
      heartbeatMs: 500,
      retentionDays: 30,
      tls: { certFile: "/etc/chat/cert.pem", keyFile: "/etc/chat/key.pem" },
      metricsTokenFile: "/etc/chat/metrics-token",
      drainMs: 10_000,
      storageUrl: "postgres://chat@db/chat",
      webRoot: undefined,
    });
  });

  it("lets a flag win over the file's key, wherever the flag stands", () => {
    const path = configFile({ port: 7450, data: "/srv/chat" });
    for (const argv of [
      ["--config", path, "--port", "7451"],
      ["--port", "7451", "--config", path],
    ]) {
      const config = serverConfigFromArgs(argv);
      assert.equal(config.port, 7451);
      assert.equal(config.dataDir, "/srv/chat");
    }
  });

  it("makes one TLS setting of a key and a flag", () => {
    const path = configFile({ "tls-cert": "/c.pem" });
    assert.deepEqual(serverConfigFromArgs(["--config", path, "--tls-key", "/k.pem"]).tls, {
      certFile: "/c.pem",
      keyFile: "/k.pem",
    });
    refused(["--config", path], "BAD_FLAG", /--tls-cert and --tls-key go together/);
  });

  it("refuses an unknown key, naming it and the file", () => {
    const path = configFile({ port: 7450, prot: 7451 });
    refused(["--config", path], "CONFIG_UNKNOWN_KEY", new RegExp(`unknown key "prot" in ${path}`));
    for (const key of ["config", "__proto__", "Port", "--port", "help"]) {
      refused(["--config", configFile(`{${JSON.stringify(key)}: 1}`)], "CONFIG_UNKNOWN_KEY", /unknown key/);
    }
  });

  it("refuses a bad value with the key's name, checked as its flag is checked", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ port: 70000 }, /"port" in .* must be a number from 0 to 65535, not 70000/],
      [{ port: 1.5 }, /"port" in .* must be a whole number/],
      [{ port: "seven" }, /"port" in .* must be a number from 0 to 65535, not seven/],
      [{ heartbeat: 0 }, /"heartbeat" in .* must be a number from 0.05 to 3600/],
      [{ suite: "rsa" }, /"suite" in .* must be xwing or x25519, not rsa/],
      [{ data: "" }, /"data" in .* must be a string or a number, not ""/],
      [{ port: null }, /"port" in .* must be a string or a number, not null/],
      [{ host: ["a", "b"] }, /"host" in .* must be a string or a number/],
      [{ port: true }, /"port" in .* must be a string or a number, not true/],
    ];
    for (const [content, message] of cases) refused(["--config", configFile(content)], "CONFIG_BAD_VALUE", message);
  });

  it("refuses a bad value in the file even when a flag overrides it: every node reads the same file", () => {
    refused(["--config", configFile({ port: 70000 }), "--port", "7450"], "CONFIG_BAD_VALUE", /"port" in /);
  });

  it("still names the flag when the bad value is the flag's", () => {
    refused(["--config", configFile({ port: 7450 }), "--port", "70000"], "BAD_FLAG", /--port must be a number/);
  });

  it("takes the README's example file as it is", () => {
    const readme = readFileSync(new URL("../../../../README.md", import.meta.url), "utf8");
    const example = /\*\*Config file\.\*\*[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example !== undefined, "the README has an example config file");
    const config = serverConfigFromArgs(["--config", configFile(example), "--port", "7448"]);
    assert.equal(config.port, 7448);
    assert.equal(config.dataDir, "/var/lib/secure-chat");
    assert.equal(config.drainMs, 10_000);
  });

  it("refuses a file it cannot read, or that is not one JSON object", () => {
    refused(
      ["--config", join(dir, "missing.json")],
      "CONFIG_UNREADABLE",
      /cannot read the config file .*missing\.json/,
    );
    refused(["--config", configFile("port = 7447")], "CONFIG_UNREADABLE", /is not JSON/);
    refused(["--config", configFile("[]")], "CONFIG_UNREADABLE", /must hold one JSON object/);
    refused(["--config", configFile("7447")], "CONFIG_UNREADABLE", /must hold one JSON object/);
  });
});
