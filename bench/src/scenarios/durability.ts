/**
 * Durability evidence for secure-chat: after the server has stopped, count the application
 * messages in its database and compare with the `accepted` answers the senders got.
 */
import Database from "better-sqlite3";
import { join } from "node:path";

export function storedMessages(dataDir: string): number {
  const db = new Database(join(dataDir, "secure-chat.db"), { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM messages WHERE kind = 0").get() as { n: number }).n;
  } finally {
    db.close();
  }
}
