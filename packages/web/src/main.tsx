/**
 * Composition root of the browser client: the IndexedDB store sealed with the passphrase, the
 * browser's WebSocket to the server that served this page, and the Preact UI.
 */
import { render } from "preact";
import type { UserName } from "@secure-chat/protocol";
import { IndexedDbClientStore } from "./store/indexeddb-store.js";
import { holdTabLock } from "./store/tab-lock.js";
import type { PageAdapters } from "./session.js";
import { App } from "./ui/app.js";

const databaseOf = (name: UserName): string => `secure-chat/${name}`;

const adapters: PageAdapters = {
  // The page talks only to the origin it came from (the CSP allows nothing else).
  server: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`,
  socketFactory: (url) => new WebSocket(url),
  hasState: (name) => IndexedDbClientStore.exists(databaseOf(name)),
  openStore: async (name, passphrase) => {
    const release = await holdTabLock(databaseOf(name));
    try {
      return await IndexedDbClientStore.open({ database: databaseOf(name), passphrase, onClose: release });
    } catch (error) {
      release();
      throw error;
    }
  },
  notify: (message) => {
    // Only when the user allowed it and is looking elsewhere; the body is text, never markup.
    if (typeof Notification === "undefined" || Notification.permission !== "granted" || document.hasFocus()) return;
    new Notification(`${message.from} in ${message.room}`, { body: message.text, tag: message.room });
  },
};

const root = document.getElementById("app");
if (root !== null) render(<App adapters={adapters} />, root);
