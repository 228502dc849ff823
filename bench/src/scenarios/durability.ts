/**
 * Durability evidence for secure-chat: after the server has stopped, count the application
 * messages in its database (SQLite in its data folder, or PostgreSQL) and compare with the
 * `accepted` answers the senders got.
 */
import Database from "better-sqlite3";
import pg from "pg";
import { join } from "node:path";

export function storedMessages(dataDir: string): number {
  const db = new Database(join(dataDir, "secure-chat.db"), { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM messages WHERE kind = 0").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export async function storedMessagesInPostgres(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM messages WHERE kind = 0");
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
