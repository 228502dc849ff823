import { ClientError } from "@secure-chat/client";

/**
 * One tab at a time per name: two clients writing the same saved MLS state would fork it (each
 * would spend the same keys and lose the other's epochs). A Web Lock is held while the tab has
 * the name signed in and let go when it signs out or closes.
 */
export async function holdTabLock(database: string): Promise<() => void> {
  let release: () => void = () => undefined;
  const held = new Promise<boolean>((granted) => {
    void navigator.locks.request(database, { ifAvailable: true }, (lock) => {
      granted(lock !== null);
      // Held until released: the callback's promise settles then.
      return lock === null ? undefined : new Promise<void>((resolve) => (release = resolve));
    });
  });
  if (!(await held)) {
    throw new ClientError("BAD_ARGUMENT", "this name is signed in in another tab of this browser; use that tab");
  }
  return () => release();
}
