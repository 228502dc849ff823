/** What an eavesdropper with a copy of the server's database, and maybe a stolen MLS state, can read. */
import { join } from "node:path";
import Database from "better-sqlite3";
import { emptyPskIndex, processMessage, type CiphersuiteImpl, type ClientState, type MLSMessage } from "ts-mls";

/** A group's broadcast deliveries (kind 0 message, 1 commit) as the server stored them, in order. */
export function serverMessages(dataDir: string, groupId: string): { seq: number; kind: number; payload: Buffer }[] {
  const db = new Database(join(dataDir, "secure-chat.db"), { readonly: true });
  try {
    return db
      .prepare("SELECT seq, kind, payload FROM messages WHERE group_id = ? AND recipient IS NULL ORDER BY seq")
      .all(groupId) as { seq: number; kind: number; payload: Buffer }[];
  } finally {
    db.close();
  }
}

/** The text `state` decrypts from `message` ("" for a handshake message); throws where it can't. */
export async function decryptWith(state: ClientState, message: MLSMessage, impl: CiphersuiteImpl): Promise<string> {
  if (message.wireformat !== "mls_private_message" && message.wireformat !== "mls_public_message") {
    throw new Error("not a group message");
  }
  const result = await processMessage(message, state, emptyPskIndex, () => "accept", impl);
  if (result.kind !== "applicationMessage") return "";
  return new TextDecoder().decode(result.message);
}
