/**
 * The thread behind BackgroundCheckpointer: its own connection to the database, which copies
 * the write-ahead log into the database file whenever asked, and answers with SQLite's counts.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { CheckpointOutcome } from "./wal-checkpointer.js";

const { path } = workerData as { path: string };
const db = new Database(path);
db.pragma("synchronous = NORMAL");

parentPort?.on("message", () => {
  let outcome: CheckpointOutcome;
  try {
    // PASSIVE never waits for the serving connection: it copies what no reader still needs.
    const [counts] = db.pragma("wal_checkpoint(PASSIVE)") as { busy: number; log: number; checkpointed: number }[];
    outcome = { kind: "done", logFrames: counts?.log ?? 0, copiedFrames: counts?.checkpointed ?? 0 };
  } catch (error) {
    outcome = { kind: "failed", error: String(error) };
  }
  parentPort?.postMessage(outcome);
});
