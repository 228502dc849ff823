/**
 * Reference: ngircd, the IRC server from Debian (C, single process, epoll), with a minimal
 * configuration: no DNS or ident look-ups, no connection or channel limits, and flood
 * penalties off (MaxPenaltyTime = 0) so the generator's senders are not throttled.
 */
import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export function ngircdPath(): string | undefined {
  try {
    return execSync("command -v ngircd", { encoding: "utf8", shell: "/bin/sh" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Installs ngircd from Debian if it is missing (the bench runs as root on these machines). */
export function ensureNgircd(): string | undefined {
  const found = ngircdPath();
  if (found !== undefined) return found;
  process.stderr.write("ngircd missing: apt-get install -y ngircd...\n");
  try {
    execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ngircd", {
      stdio: "ignore",
      shell: "/bin/sh",
      timeout: 300_000,
    });
  } catch {
    return undefined;
  }
  return ngircdPath();
}

export function writeNgircdConfig(dir: string, port: number): string {
  const path = join(dir, "ngircd.conf");
  writeFileSync(
    path,
    `[Global]
Name = bench.irc
Info = secure-chat bench reference
AdminInfo1 = bench
AdminInfo2 = localhost
AdminEMail = bench@localhost
Listen = 127.0.0.1
Ports = ${port}
MotdPhrase = bench
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 31
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
`,
  );
  return path;
}
