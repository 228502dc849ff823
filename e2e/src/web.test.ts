/**
 * The browser client against a real `secure-chat server` process, in Debian's chromium: two
 * browser users and a terminal user (`--json`) in #lobby, private messages, markup that must stay
 * text, the CSP enforced, a reload and a closed tab, a server restart, nothing in plaintext at
 * rest, and screenshots of the main screens.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { TYPING_SHOWN_MS } from "@secure-chat/client";
import { BrowserUser, chromiumMissing, submitSignIn } from "./browser.js";
import {
  ChatProcess,
  filesUnder,
  PASSPHRASE,
  ServerProcess,
  tempDir,
  tlsFileArgs,
  uniqueMarker,
  until,
} from "./harness.js";

const missing = chromiumMissing();
if (missing !== undefined && process.env["CI"] === "true") {
  it("chromium is installed for the browser client's tests", () => assert.fail(missing));
}

/** Where the screenshots go: SCREENSHOT_DIR (the README's come from docs/screenshots), else a temp folder. */
const screenshots = process.env["SCREENSHOT_DIR"] ?? tempDir("screenshots");

describe("browser client", { skip: missing }, () => {
  let server: ServerProcess;
  let page: string;
  let wanda: BrowserUser;
  let bruno: BrowserUser;
  let tess: ChatProcess;
  const lobby: string[] = [];

  before(async () => {
    server = await ServerProcess.start();
    page = `${server.url.replace(/^ws/, "http")}/`;
    [wanda, bruno] = await Promise.all([BrowserUser.launch("wanda"), BrowserUser.launch("bruno")]);
    await wanda.signIn(page);
    await bruno.signIn(page);
    tess = await ChatProcess.start("tess", server.url, tempDir("tess"));
  });

  after(async () => {
    await Promise.all([wanda?.close(), bruno?.close()]);
    await tess?.kill();
    await server?.kill();
  });

  it("serves the page with a strict CSP, security headers and Subresource Integrity, and prints its hash", async () => {
    const response = await fetch(page);
    const html = await response.text();
    const csp = response.headers.get("content-security-policy") ?? "";
    const host = new URL(page).host;
    assert.equal(
      csp,
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
        `connect-src 'self' ws://${host} wss://${host}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    assert.equal(response.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(response.headers.get("cross-origin-resource-policy"), "same-origin");
    assert.doesNotMatch(html, /<script>|<script(?![^>]*\bsrc=)[^>]*>|\bon[a-z]+=/, "no inline script or handler");

    const script = /<script type="module" src="([^"]+)" integrity="([^"]+)"><\/script>/.exec(html);
    assert.ok(script?.[1] !== undefined && script[2] !== undefined, "the script tag carries an integrity hash");
    const bundle = Buffer.from(await (await fetch(new URL(script[1], page))).arrayBuffer());
    assert.equal(script[2], `sha384-${createHash("sha384").update(bundle).digest("base64")}`);

    const printed = server.stdoutLines.find((line) => line.startsWith("web client on "));
    const sha256 = createHash("sha256").update(html).digest("hex");
    assert.equal(printed, `web client on ${page} (index.html SHA-256 ${sha256})`);

    const noWeb = await ServerProcess.start({ args: ["--no-web"] });
    try {
      const refused = await fetch(noWeb.url.replace(/^ws/, "http"));
      assert.equal(refused.status, 426);
      assert.equal(
        noWeb.stdoutLines.some((line) => line.startsWith("web client on ")),
        false,
      );
    } finally {
      await noWeb.kill();
    }
  });

  it("gets every #lobby message to the two browsers and the terminal, in the same order", async () => {
    await wanda.page.waitForSelector(".members li:has-text('tess')");
    const lines = [
      [wanda, uniqueMarker("from-wanda")],
      [tess, uniqueMarker("from-tess")],
      [bruno, uniqueMarker("from-bruno")],
      [tess, uniqueMarker("from-tess-again")],
    ] as const;
    for (const [sender, text] of lines) {
      if (sender instanceof ChatProcess) sender.send(text);
      else await sender.say(text);
      lobby.push(text);
    }
    // Each waits for every line: the last one sent need not be the last to arrive.
    for (const user of [wanda, bruno]) for (const text of lobby) await user.waitForMessage(text);
    for (const text of lobby) await tess.waitFor("every line", (e) => e.type === "message" && e.text === text);
    // Senders race each other: the server's order is the one, and everyone sees it.
    const shown = async (user: BrowserUser) => (await user.messageTexts()).filter((text) => lobby.includes(text));
    const order = tess
      .messages("#lobby")
      .map((e) => e.text as string)
      .filter((text) => lobby.includes(text));
    assert.deepEqual([...order].sort(), [...lobby].sort(), "every line, once");
    assert.deepEqual(await shown(wanda), order);
    assert.deepEqual(await shown(bruno), order);
    lobby.splice(0, lobby.length, ...order);
  });

  it("keeps a private message between the browsers from the terminal user; Alt+number and Ctrl+K switch rooms", async () => {
    const secret = uniqueMarker("private");
    // Bruno allowed notifications and looks at another window: the private message is notified.
    await bruno.context.grantPermissions(["notifications"]);
    await bruno.page.evaluate(() => {
      const shown: string[] = [];
      (window as unknown as { notified: string[] }).notified = shown;
      document.hasFocus = () => false;
      window.Notification = class extends Notification {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push(`${title}: ${options?.body ?? ""}`);
        }
      };
    });
    await wanda.say(`/msg bruno ${secret}`);
    const badge = bruno.page.locator("nav[aria-label=Rooms] button:has-text('@wanda') .badge");
    await badge.waitFor();
    assert.equal(await badge.textContent(), "1");
    await bruno.page.keyboard.press("Alt+1");
    await bruno.page.waitForSelector(".room-title:text-is('#lobby')");
    await bruno.page.keyboard.press("Alt+2");
    await bruno.page.waitForSelector(".room-title:text-is('@wanda')");
    await bruno.waitForMessage(secret);
    const notified = await bruno.page.evaluate(() => (window as unknown as { notified: string[] }).notified);
    assert.deepEqual(notified, [`wanda in @wanda: ${secret}`]);
    await bruno.page.keyboard.press("Control+k");
    await bruno.page.fill("#switcher-filter", "lob");
    await bruno.page.press("#switcher-filter", "Enter");
    await bruno.page.waitForSelector(".room-title:text-is('#lobby')");
    // The terminal user has had time to see it, had it been sent to them: a later line arrives.
    const marker = uniqueMarker("after-private");
    await wanda.say(marker);
    await tess.waitFor("the line after", (e) => e.type === "message" && e.text === marker);
    lobby.push(marker);
    assert.equal(JSON.stringify(tess.events).includes(secret), false);
  });

  it("sends typing notices from the composer and shows them; shows 'seen' under a private message the terminal printed", async () => {
    const tessFrom = tess.events.length;
    // Slower than one notice per 3 s: whatever went before, one goes while this is typed.
    await wanda.page.type("#message-input", "typing along slowly", { delay: 250 });
    await tess.waitFor(
      "wanda typing",
      (e) => e.type === "typing" && e.from === "wanda" && e.room === "#lobby",
      tessFrom,
    );
    await bruno.page.waitForSelector(".room .typing:text-is('wanda is typing…')");
    await wanda.page.fill("#message-input", "");
    await bruno.page.waitForSelector(".room .typing:text-is('')", { timeout: 3 * TYPING_SHOWN_MS });

    const note = uniqueMarker("seen-by-tess");
    await wanda.say("/join @tess");
    await wanda.page.waitForSelector(".room-title:text-is('@tess')");
    await wanda.say(note);
    await tess.waitFor("wanda's private message", (e) => e.type === "message" && e.text === note);
    await wanda.page.waitForSelector(`.messages .message:has(.text:text-is('${note}')) .seen`);
    await wanda.say("/join #lobby");
    await wanda.page.waitForSelector(".room-title:text-is('#lobby')");
  });

  it("shows markup as text: nothing in a message runs or becomes an element", async () => {
    const attacks = [
      `<img src=x onerror="window.__xss='img'">`,
      `<script>window.__xss='script'</script>`,
      `<b>bold?</b> &amp; <a href="javascript:window.__xss='a'">link</a>`,
      `<svg onload="window.__xss='svg'"></svg>`,
    ];
    for (const attack of attacks) {
      tess.send(attack);
      lobby.push(attack);
    }
    for (const attack of attacks) await wanda.waitForMessage(attack);
    const found = await wanda.page.evaluate(() => ({
      xss: (window as unknown as { __xss?: string }).__xss,
      elements: document.querySelectorAll(".messages img, .messages script, .messages b, .messages a, .messages svg")
        .length,
    }));
    assert.deepEqual(found, { xss: undefined, elements: 0 });
    assert.deepEqual(wanda.pageErrors, []);
  });

  it("links a browser as a new device of the terminal user's account: a code, the same SAS on both screens, then the chat", async () => {
    const device = await BrowserUser.launch("tess");
    try {
      await submitSignIn(device.page, page, "tess");
      await device.page.fill("#confirm", PASSPHRASE);
      await device.page.check("#link-device");
      await device.page.fill("#device-label", "tess's browser");
      await device.page.click("button[type=submit]");
      const command = (await (await device.page.waitForSelector("#link-command")).textContent()) ?? "";
      const code = /^\/devices link (\S+)$/.exec(command)?.[1];
      assert.ok(code !== undefined, command);
      const offer = await tess.command(`/devices link ${code}`, "device_link");
      assert.equal(offer.label, "tess's browser", JSON.stringify(offer));
      const sas = await (await device.page.waitForSelector("#link-sas")).textContent();
      assert.equal(sas, offer.sas);
      tess.send("/devices approve");
      await device.page.waitForSelector(".chat .link-live");
      const fromTerminal = uniqueMarker("to-both-of-tess");
      tess.send(fromTerminal);
      await device.waitForMessage(fromTerminal);
      const fromBrowser = uniqueMarker("from-tess-browser");
      await device.say(fromBrowser);
      await wanda.waitForMessage(fromBrowser);
      await tess.waitFor("her browser's line", (e) => e.type === "message" && e.text === fromBrowser);
    } finally {
      await device.close();
    }
  });

  it("enforces the CSP: an inline script injected into the page does not run", async () => {
    const outcome = await wanda.page.evaluate(
      () =>
        new Promise<{ ran: boolean; violation: string }>((resolve) => {
          document.addEventListener("securitypolicyviolation", (event) =>
            resolve({
              ran: (window as unknown as { __inline?: boolean }).__inline === true,
              violation: event.violatedDirective,
            }),
          );
          const script = document.createElement("script");
          script.textContent = "window.__inline = true";
          document.body.append(script);
        }),
    );
    assert.deepEqual(outcome, { ran: false, violation: "script-src-elem" });
  });

  it("keeps identity, rooms and history over a reload; what was sent while the tab was closed arrives once, in order", async () => {
    const fingerprint = await wanda.page.textContent(".me .fingerprint");
    await wanda.page.reload();
    await wanda.signIn(page);
    assert.equal(await wanda.page.textContent(".me .fingerprint"), fingerprint);
    await wanda.waitForMessage(lobby.at(-1) ?? "");
    const rooms = await wanda.page.$$eval("nav[aria-label=Rooms] .label", (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(rooms, ["#lobby", "@bruno", "@tess"], "the private conversations of the tests before");
    assert.deepEqual(
      (await wanda.messageTexts()).filter((text) => lobby.includes(text)),
      lobby,
    );

    await wanda.page.close();
    const whileAway = [uniqueMarker("away-1"), uniqueMarker("away-2"), uniqueMarker("away-3")];
    for (const text of whileAway) tess.send(text);
    await tess.waitFor("the last line stored", (e) => e.type === "message" && e.text === whileAway.at(-1));
    lobby.push(...whileAway);
    await wanda.openTab();
    await wanda.signIn(page);
    await wanda.waitForMessage(whileAway.at(-1) ?? "");
    const texts = await wanda.messageTexts();
    assert.deepEqual(
      texts.filter((text) => whileAway.includes(text)),
      whileAway,
    );
    assert.deepEqual(
      texts.filter((text) => lobby.includes(text)),
      lobby,
    );
  });

  it("creates an invite-only room, invites into it and leaves it with / commands", async () => {
    const rooms = (user: BrowserUser) =>
      user.page.$$eval("nav[aria-label=Rooms] .label", (nodes) => nodes.map((n) => n.textContent ?? ""));
    await wanda.say("/join +webroom");
    await wanda.page.waitForSelector(".room-title:text-is('+webroom')");
    await wanda.say("/invite bruno");
    await bruno.page.waitForSelector("nav[aria-label=Rooms] .label:text-is('+webroom')");
    await bruno.page.click("nav[aria-label=Rooms] button:has-text('+webroom')");
    const marker = uniqueMarker("in-webroom");
    await wanda.say(marker);
    await bruno.waitForMessage(marker);
    await bruno.page.waitForSelector(".members li:has-text('wanda')");
    await bruno.say("/leave");
    await bruno.page.waitForSelector(".room-title:text-is('#lobby')");
    assert.equal((await rooms(bruno)).includes("+webroom"), false);
    await wanda.page.waitForSelector(".notice:has-text('bruno left')");
    assert.ok((await rooms(wanda)).includes("+webroom"));
    await wanda.page.click("nav[aria-label=Rooms] button:has-text('#lobby')");
    await wanda.page.waitForSelector(".room-title:text-is('#lobby')");
  });

  it("refuses the same name in a second tab of the same browser", async () => {
    const second = await wanda.context.newPage();
    try {
      await submitSignIn(second, page, "wanda");
      await second.waitForSelector(".error:has-text('signed in in another tab')");
      assert.equal(await second.$(".chat"), null);
    } finally {
      await second.close();
    }
  });

  it("leaves no state behind when a new name is refused (taken by the terminal user)", async () => {
    const other = await bruno.context.newPage();
    try {
      await submitSignIn(other, page, "tess");
      await other.fill("#confirm", PASSPHRASE);
      await other.click("button[type=submit]");
      await other.waitForSelector(".error:has-text('NAME_TAKEN')");
      const names = await other.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
      assert.deepEqual(names, ["secure-chat/bruno"]);
    } finally {
      await other.close();
    }
  });

  it("keeps a marker sent from the browser out of the server's files and out of IndexedDB's raw content", async () => {
    const marker = uniqueMarker("at-rest");
    await wanda.say(marker);
    await tess.waitFor("the marker", (e) => e.type === "message" && e.text === marker);
    lobby.push(marker);
    assert.equal(server.everythingWritten().includes(marker), false, "server files and logs");

    // Every record of every object store, read in the page, bytes as latin1: what a thief of the profile gets.
    const dump = await wanda.page.evaluate(async () => {
      const databases = await indexedDB.databases();
      const parts: string[] = [];
      for (const { name } of databases) {
        if (name === undefined) continue;
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const req = indexedDB.open(name);
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(new Error(String(req.error)));
        });
        for (const store of Array.from(db.objectStoreNames)) {
          const all = await new Promise<unknown[]>((resolve) => {
            const req = db.transaction(store).objectStore(store).getAll();
            req.onsuccess = () => resolve(req.result);
          });
          parts.push(
            JSON.stringify(all, (_key, value: unknown) =>
              value instanceof Uint8Array ? String.fromCharCode(...value) : value,
            ),
          );
        }
        db.close();
      }
      return { names: databases.map((d) => d.name), raw: parts.join("\n") };
    });
    assert.deepEqual(dump.names, ["secure-chat/wanda"]);
    assert.ok(dump.raw.includes("#lobby"), "the dump reads the records (room ids are metadata)");
    for (const needle of [marker, lobby[0] ?? "", "from-tess"]) assert.equal(dump.raw.includes(needle), false, needle);

    // And the files chromium wrote for IndexedDB, in every encoding a string may take there.
    const files = filesUnder(join(wanda.profile, "Default", "IndexedDB"));
    assert.ok(files.length > 0, "chromium keeps IndexedDB on disk in the profile");
    const bytes = Buffer.concat(files.map((file) => readFileSync(file)));
    const encodings = (text: string): Buffer[] => [
      Buffer.from(text, "utf8"),
      Buffer.from(text, "utf16le"),
      Buffer.from(text, "utf16le").swap16(),
    ];
    assert.ok(
      encodings("#lobby").some((needle) => bytes.includes(needle)),
      "the raw files hold the metadata: the search reads them",
    );
    for (const needle of encodings(marker)) assert.equal(bytes.includes(needle), false, "the marker, raw");
  });

  it("shows the reconnect when the server restarts and resumes", async () => {
    const port = Number(new URL(page).port);
    await server.kill();
    await wanda.page.waitForSelector(".link-offline, .link-connecting");
    await wanda.page.waitForSelector(".notice.warning:has-text('reconnecting')");
    server = await ServerProcess.start({ dataDir: server.dataDir, port });
    await wanda.page.waitForSelector(".link-live");
    await wanda.page.waitForSelector(".notice:has-text('connected again')");
    const marker = uniqueMarker("after-restart");
    await until("tess back", () =>
      tess.events.some((e) => e.type === "connection" && e.state === "connected") ? true : undefined,
    );
    await wanda.say(marker);
    await tess.waitFor("the line after the restart", (e) => e.type === "message" && e.text === marker);
  });

  it("saves screenshots of the main screens at 1280x800 and 390x844", async () => {
    mkdirSync(screenshots, { recursive: true });
    const shots: string[] = [];
    const shoot = async (user: BrowserUser, file: string): Promise<void> => {
      const path = join(screenshots, file);
      await user.page.screenshot({ path });
      shots.push(path);
    };
    await shoot(wanda, "chat-1280x800.png");
    await wanda.page.keyboard.press("Control+k");
    await wanda.page.waitForSelector(".switcher");
    await shoot(wanda, "room-switcher-1280x800.png");
    await wanda.page.keyboard.press("Escape");
    await wanda.page.waitForSelector(".switcher", { state: "detached" });
    // The dark theme follows the system's setting.
    const background = () => wanda.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await background();
    await wanda.page.emulateMedia({ colorScheme: "dark" });
    assert.notEqual(await background(), light);
    await shoot(wanda, "chat-dark-1280x800.png");
    await wanda.page.emulateMedia({ colorScheme: "light" });
    await wanda.page.setViewportSize({ width: 390, height: 844 });
    await shoot(wanda, "chat-390x844.png");
    const fresh = await BrowserUser.launch("newcomer", { width: 390, height: 844 });
    try {
      await fresh.page.goto(page);
      await fresh.page.waitForSelector("#name");
      await shoot(fresh, "sign-in-390x844.png");
    } finally {
      await fresh.close();
    }
    for (const path of shots) assert.ok(readFileSync(path).subarray(1, 4).toString() === "PNG", path);
  });
});

describe("browser client over TLS", { skip: missing }, () => {
  it("is served over https:// with --tls-cert and talks wss:// to the same server", async () => {
    const server = await ServerProcess.start({ args: await tlsFileArgs() });
    const url = `${server.url.replace(/^wss/, "https")}/`;
    const printed = server.stdoutLines.find((line) => line.startsWith("web client on "));
    assert.match(printed ?? "", /^web client on https:\/\/127\.0\.0\.1:\d+\/ /);
    const user = await BrowserUser.launch("tina", undefined, true);
    const terminal = await ChatProcess.start("terry", server.url, tempDir("terry"));
    try {
      await user.signIn(url);
      const marker = uniqueMarker("over-tls");
      await user.say(marker);
      await terminal.waitFor("the line over TLS", (e) => e.type === "message" && e.text === marker);
    } finally {
      await user.close();
      await terminal.kill();
      await server.kill();
    }
  });
});
