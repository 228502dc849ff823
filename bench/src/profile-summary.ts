/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self
 * time, and the share of time in GC, idle and native code.
 *
 *   node bench/dist/profile-summary.js FILE.cpuprofile [TOP] [FROM_US TO_US]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  name: string;
  selfMs: number;
  selfPercent: number;
  totalPercent: number;
}

/**
 * Top functions by self time. `window` (microseconds of the monotonic clock, the clock of
 * process.hrtime and of V8's profile timestamps) keeps only the samples inside it.
 */
export function summarise(profile: Profile, top: number, window?: { fromUs: number; toUs: number }): ProfileLine[] {
  const self = new Map<number, number>();
  let at = profile.startTime;
  let wall = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) return;
    wall += delta;
    self.set(id, (self.get(id) ?? 0) + delta);
  });
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (n: ProfileNode): string => {
    const file = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|packages)\//, "$1/");
    return `${n.callFrame.functionName || "(anonymous)"} ${file ? `${file}:${n.callFrame.lineNumber + 1}` : ""}`.trim();
  };
  const selfByName = new Map<string, number>();
  const totalByName = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (node === undefined) continue;
    selfByName.set(label(node), (selfByName.get(label(node)) ?? 0) + us);
    // Inclusive time: count each distinct function once per sample's stack.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = label(byId.get(at)!);
      if (seen.has(name)) continue;
      seen.add(name);
      totalByName.set(name, (totalByName.get(name) ?? 0) + us);
    }
  }
  return [...selfByName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({
      name,
      selfMs: us / 1000,
      selfPercent: (us / wall) * 100,
      totalPercent: ((totalByName.get(name) ?? 0) / wall) * 100,
    }));
}

/** Inclusive share of wall time of every function whose label matches `pattern`. */
export function readProfile(file: string): Profile {
  return JSON.parse(readFileSync(file, "utf8")) as Profile;
}

/** Text lines of a summary, for the console and the JSON report. */
export function formatSummary(lines: ProfileLine[]): string[] {
  return [
    "  self ms   self %  incl %  function",
    ...lines.map(
      (line) =>
        `${line.selfMs.toFixed(0).padStart(8)} ${line.selfPercent.toFixed(1).padStart(7)}% ${line.totalPercent.toFixed(1).padStart(6)}%  ${line.name}`,
    ),
  ];
}

if (process.argv[1]?.endsWith("profile-summary.js")) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write("usage: node bench/dist/profile-summary.js FILE.cpuprofile [TOP]\n");
    process.exit(2);
  }
  const profile = readProfile(file);
  const top = Number(process.argv[3] ?? 25);
  const window =
    process.argv[5] === undefined ? undefined : { fromUs: Number(process.argv[4]), toUs: Number(process.argv[5]) };
  console.log(`profile of ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s; top ${top} by self time:`);
  for (const line of formatSummary(summarise(profile, top, window))) console.log(line);
}
