/**
 * `npm run bench [-- --quick]`: client cryptography per cipher suite and end-to-end message
 * latency with real processes. Prints a table and writes bench-results/latest.json.
 * (The server fan-out, connection, catch-up scenarios and reference servers of issue 5 are
 * not here yet.)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { cipherSuites } from "@secure-chat/protocol";
import { measureSuite, type CryptoResult } from "./crypto.js";
import { measureLatency, type LatencyResult } from "./latency.js";

const quick = process.argv.includes("--quick");
const sizes = quick ? [10] : [10, 100, 1000];
const runs = quick ? 5 : 20;
const latencyMessages = quick ? 20 : 200;

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(2));

async function main(): Promise<void> {
  const crypto: CryptoResult[] = [];
  for (const [key, suite] of Object.entries(cipherSuites)) {
    for (const size of sizes) {
      process.stderr.write(`crypto: ${key}, ${size} members...\n`);
      crypto.push(await measureSuite(suite, size, runs));
    }
  }
  const latency: LatencyResult[] = [];
  for (const key of Object.keys(cipherSuites) as ("xwing" | "x25519")[]) {
    process.stderr.write(`latency: ${key}...\n`);
    latency.push(await measureLatency(key, latencyMessages));
  }

  const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(`secure-chat bench (${quick ? "quick" : "full"}) on ${machine}\n`);
  console.log("Client MLS costs (median ms; sizes in bytes)");
  console.log(
    "suite                                      members  keypkg  kp-bytes  encrypt  decrypt  add-commit  commit-bytes  welcome-bytes  update  process-commit  welcome-join  external-join",
  );
  for (const r of crypto) {
    console.log(
      [
        r.suite.padEnd(42),
        String(r.members).padStart(7),
        fmt(r.keyPackageMs).padStart(7),
        String(r.keyPackageBytes).padStart(9),
        fmt(r.encryptMs).padStart(8),
        fmt(r.decryptMs).padStart(8),
        fmt(r.addCommitMs).padStart(11),
        String(r.addCommitBytes).padStart(13),
        String(r.welcomeBytes).padStart(14),
        fmt(r.updateCommitMs).padStart(7),
        fmt(r.processCommitMs).padStart(15),
        fmt(r.welcomeJoinMs).padStart(13),
        fmt(r.externalJoinMs).padStart(14),
      ].join(" "),
    );
  }
  console.log("\nEnd-to-end latency, 1 sender -> 2 receivers in #lobby (ms, sender's send() to receiver's output)");
  for (const r of latency) {
    console.log(`${r.suite.padEnd(8)} n=${r.messages}  p50 ${fmt(r.p50Ms)}  p99 ${fmt(r.p99Ms)}  max ${fmt(r.maxMs)}`);
  }
  mkdirSync("bench-results", { recursive: true });
  writeFileSync(
    "bench-results/latest.json",
    JSON.stringify({ at: new Date().toISOString(), quick, machine, crypto, latency }, null, 2),
  );
}

await main();
