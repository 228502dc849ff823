/**
 * The browser client: the size of what the server sends (raw and gzipped), the first paint of a
 * warm reload (the bundle cached, the page revalidated), sign-in after a reload (the PBKDF2 key,
 * login, catch-up), and how long a key press waits for the page while messages arrive at 20/s.
 * One real server, Debian's chromium, a `--json` sender.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { BrowserUser, chromiumMissing } from "@secure-chat/e2e/browser";
import { ChatProcess, ServerProcess, tempDir } from "@secure-chat/e2e/harness";
import { percentile } from "./stats.js";
import { sleep } from "./procs.js";

export interface WebResult {
  /** Bytes of the page's files as built, and gzipped (level 9), as a server with compression would send them. */
  scriptBytes: number;
  scriptGzipBytes: number;
  styleBytes: number;
  styleGzipBytes: number;
  htmlBytes: number;
  /** first-contentful-paint of the sign-in page after a reload, over `reloads` reloads. */
  reloads: number;
  firstPaintP50Ms: number;
  firstPaintMaxMs: number;
  /** Submitting the sign-in form after a reload to the chat being live, median. */
  signInP50Ms: number;
  /** Key press to the next frame while `typingMessages` arrive at 20/s. */
  keys: number;
  keyToFrameP50Ms: number;
  keyToFrameP99Ms: number;
}

const PUBLIC = new URL("../../packages/web/dist/public/", import.meta.url);

function bundleSizes(): Pick<
  WebResult,
  "scriptBytes" | "scriptGzipBytes" | "styleBytes" | "styleGzipBytes" | "htmlBytes"
> {
  const files = readdirSync(PUBLIC);
  const read = (pattern: RegExp): Buffer => {
    const name = files.find((file) => pattern.test(file));
    if (name === undefined) throw new Error(`no ${pattern} in ${PUBLIC.pathname}: run npm run build`);
    return readFileSync(join(PUBLIC.pathname, name));
  };
  const script = read(/^app-.*\.js$/);
  const style = read(/^style-.*\.css$/);
  return {
    scriptBytes: script.length,
    scriptGzipBytes: gzipSync(script, { level: 9 }).length,
    styleBytes: style.length,
    styleGzipBytes: gzipSync(style, { level: 9 }).length,
    htmlBytes: read(/^index\.html$/).length,
  };
}

export async function measureWeb(options: { reloads: number; typingMessages: number }): Promise<WebResult> {
  const missing = chromiumMissing();
  if (missing !== undefined) throw new Error(missing);
  const server = await ServerProcess.start();
  const page = `${server.url.replace(/^ws/, "http")}/`;
  const user = await BrowserUser.launch("bencher");
  try {
    await user.signIn(page);
    const paints: number[] = [];
    const signIns: number[] = [];
    for (let i = 0; i < options.reloads; i++) {
      await user.page.reload();
      await user.page.waitForSelector("#name");
      paints.push(
        await user.page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const read = (): void => {
                const paint = performance.getEntriesByName("first-contentful-paint")[0];
                if (paint === undefined) requestAnimationFrame(read);
                else resolve(paint.startTime);
              };
              read();
            }),
        ),
      );
      const started = performance.now();
      await user.signIn(page);
      signIns.push(performance.now() - started);
    }

    const sender = await ChatProcess.start("sender", server.url, tempDir("sender"));
    await user.page.evaluate(() => {
      const waits: number[] = [];
      (window as unknown as { keyWaits: number[] }).keyWaits = waits;
      document.addEventListener("keydown", (event) =>
        requestAnimationFrame(() => waits.push(performance.now() - event.timeStamp)),
      );
    });
    await user.page.focus("#message-input");
    const sending = (async () => {
      for (let i = 0; i < options.typingMessages; i++) {
        sender.send(`bench line ${i} while someone types`);
        await sleep(50);
      }
    })();
    const text = "typing while messages arrive ".repeat(8);
    await user.page.keyboard.type(text, { delay: 30 });
    await sending;
    const waits = await user.page.evaluate(() => (window as unknown as { keyWaits: number[] }).keyWaits);
    await sender.kill();
    return {
      ...bundleSizes(),
      reloads: paints.length,
      firstPaintP50Ms: percentile(paints, 50),
      firstPaintMaxMs: Math.max(...paints),
      signInP50Ms: percentile(signIns, 50),
      keys: waits.length,
      keyToFrameP50Ms: percentile(waits, 50),
      keyToFrameP99Ms: percentile(waits, 99),
    };
  } finally {
    await user.close();
    await server.kill();
  }
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

export function webLines(web: WebResult): string {
  return [
    `- bundle: script ${kb(web.scriptBytes)} (${kb(web.scriptGzipBytes)} gzipped), style sheet ${kb(web.styleBytes)} ` +
      `(${kb(web.styleGzipBytes)} gzipped), index.html ${web.htmlBytes} bytes`,
    `- warm reload, first contentful paint: p50 ${web.firstPaintP50Ms.toFixed(0)} ms, max ${web.firstPaintMaxMs.toFixed(0)} ms over ${web.reloads} reloads`,
    `- sign-in after a reload (PBKDF2 key, login, catch-up) to live: p50 ${web.signInP50Ms.toFixed(0)} ms`,
    `- key press to the next frame while messages arrive at 20/s: p50 ${web.keyToFrameP50Ms.toFixed(1)} ms, ` +
      `p99 ${web.keyToFrameP99Ms.toFixed(1)} ms over ${web.keys} keys`,
  ].join("\n");
}
