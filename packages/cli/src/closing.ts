import type { ChatClient } from "@secure-chat/client";

/** How often the user is told again what a quit still waits for. */
const REMIND_MS = 5_000;

/**
 * Closes the client, which first waits until the server has stored every message sent. While
 * that waits (the server away, say), `tell` says so, now and every few seconds, so a quit never
 * looks like a hang.
 */
export async function closeTelling(
  client: Pick<ChatClient, "close" | "outboxEmpty">,
  tell: (line: string) => void,
): Promise<void> {
  const remind = (): void => {
    if (!client.outboxEmpty) {
      tell("waiting for the server to store what you sent; Ctrl+C quits now and keeps it for the next start");
    }
  };
  remind();
  const timer = setInterval(remind, REMIND_MS);
  try {
    await client.close();
  } finally {
    clearInterval(timer);
  }
}
