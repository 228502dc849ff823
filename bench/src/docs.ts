/**
 * Writes the latest full run into docs/benchmarks.md, between the markers
 * `<!-- bench:begin -->` and `<!-- bench:end -->`; the text around them (the analysis) is kept.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tuiLines } from "./tui.js";
import { webLines } from "./web.js";
import { cryptoTable, latencyLines, machineLine, scenarioTable, targetLines, type BenchReport } from "./report.js";

const DOC = "docs/benchmarks.md";
const BEGIN = "<!-- bench:begin -->";
const END = "<!-- bench:end -->";

export function benchSection(report: BenchReport): string {
  return [
    BEGIN,
    "",
    `Run of ${report.at.slice(0, 10)} (\`npm run bench\`, ${report.durationSeconds.toFixed(0)} s).`,
    "",
    `- Machine: ${machineLine(report.machine)}.`,
    `- secure-chat: SQLite ${report.durability}; cipher suite X25519 for the`,
    "  server scenarios; generator and every server share the machine.",
    "",
    scenarioTable(report.scenarios, report.servers),
    "",
    "Targets of issues 5, 16 and 19:",
    "",
    targetLines(report.targets),
    "",
    "Client MLS costs (median ms; sizes in bytes):",
    "",
    cryptoTable(report.crypto),
    "",
    "End-to-end latency with real client processes (1 sender, 2 receivers, sender's send() to the",
    "receiver's output):",
    "",
    latencyLines(report.latency),
    "",
    ...(report.tui === undefined
      ? []
      : [
          "The full-screen client in a pseudo-terminal, against a `--json` client of the same room (arrival",
          "is the `--json` client's line, shown is when the full-screen client wrote the text to its terminal):",
          "",
          tuiLines(report.tui),
          "",
        ]),
    ...(report.web === undefined ? [] : ["The browser client in Debian's chromium:", "", webLines(report.web), ""]),
    END,
  ].join("\n");
}

export function writeBenchmarksDoc(report: BenchReport): void {
  const section = benchSection(report);
  const current = existsSync(DOC) ? readFileSync(DOC, "utf8") : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next =
    begin >= 0 && end > begin
      ? current.slice(0, begin) + section + current.slice(end + END.length)
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, next);
  try {
    // Keep the file as `npm run lint` (prettier --check) wants it.
    execFileSync("npx", ["prettier", "--write", DOC], { stdio: "ignore" });
  } catch {
    // prettier is a dev dependency; without it the table is still valid Markdown.
  }
}
