/**
 * Durability evidence for secure-chat: after the server has stopped, count the application
 * messages in its database and compare with the `accepted` answers the senders got; and read
 * which SQLite synchronous mode the server code sets.
 */
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const STORAGE_JS = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "packages",
  "server",
  "dist",
  "src",
  "storage",
  "sqlite-storage.js",
);

export function storedMessages(dataDir: string): number {
  const db = new Database(join(dataDir, "secure-chat.db"), { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM messages WHERE kind = 0").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The `synchronous` pragma in the server's SQLite adapter, e.g. "FULL". */
export function sqliteSynchronousMode(): string {
  try {
    return /synchronous\s*=\s*(\w+)/i.exec(readFileSync(STORAGE_JS, "utf8"))?.[1]?.toUpperCase() ?? "unknown";
  } catch {
    return "unknown";
  }
}
