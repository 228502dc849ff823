/**
 * `node bench/dist/client-store.js [ENTRIES] [DIR]`: the client's SQLite store on the message
 * path. Stores ENTRIES (default 10,000) history entries one `apply` each, as the delivery
 * stream does (the entry and the cursor, alone and with a 4 KiB group state), reads them back
 * in one `history` call, and opens the filled file again (scrypt included). Medians of 3 runs:
 * wall time and this process's CPU time, in ms. Every `apply` waits for an fsync
 * (synchronous=FULL), which dominates wall time on a disk: CPU time, or a DIR on tmpfs
 * (/dev/shm), shows what sealing costs.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteClientStore } from "@secure-chat/cli/sqlite-store";
import type { HistoryEntry } from "@secure-chat/client";
import type { GroupId, UserName } from "@secure-chat/protocol";

const entries = Number(process.argv[2] ?? 10_000);
const dir = process.argv[3] ?? tmpdir();
const runs = 3;
const passphrase = "correct horse battery staple";
const room = "#lobby" as GroupId;
const text = "a message of about the length people type in a chat room, give or take a few words";

function entry(seq: number): HistoryEntry {
  return {
    room,
    id: seq.toString(16).padStart(24, "0"),
    from: "alice" as UserName,
    text,
    sentAt: seq,
    serverTs: seq,
    seq,
  };
}

interface Cost {
  wall: number;
  cpu: number;
}

async function time(body: () => Promise<unknown>): Promise<Cost> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await body();
  const used = process.cpuUsage(cpu);
  return { wall: Number(process.hrtime.bigint() - start) / 1e6, cpu: (used.user + used.system) / 1000 };
}

async function once(withState: boolean): Promise<Record<string, Cost>> {
  const home = mkdtempSync(join(dir, "secure-chat-store-bench-"));
  try {
    let store = new SqliteClientStore(home, passphrase);
    const state = new Uint8Array(randomBytes(4096));
    const storeAll = await time(async () => {
      for (let seq = 1; seq <= entries; seq++) {
        await store.apply({
          messages: [entry(seq)],
          cursor: seq,
          ...(withState ? { groups: [{ groupId: room, state, pending: null }] } : {}),
        });
      }
    });
    const readAll = await time(() => store.history(room, entries));
    await store.close();
    const open = await time(async () => (store = new SqliteClientStore(home, passphrase)));
    await store.close();
    return { store: storeAll, readAll, open };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

for (const withState of [false, true]) {
  const results: Record<string, Cost>[] = [];
  for (let run = 0; run < runs; run++) results.push(await once(withState));
  const line = Object.keys(results[0] ?? {})
    .map((key) => {
      const of = (measure: keyof Cost): string => median(results.map((r) => r[key]?.[measure] ?? NaN)).toFixed(0);
      return `${key} ${of("wall")} (cpu ${of("cpu")})`;
    })
    .join(", ");
  process.stdout.write(`${entries} entries${withState ? " + 4 KiB group state" : ""}: ${line} ms\n`);
}
