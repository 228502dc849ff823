/**
 * Debian's chromium, driven by playwright-core, for the browser client's tests: each browser
 * user gets their own chromium process and a fresh profile folder (so IndexedDB is theirs and on
 * disk, where a test can read its raw files). Without chromium a test fails under CI and is
 * skipped elsewhere, saying why.
 */
import { existsSync } from "node:fs";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { PASSPHRASE, tempDir } from "./harness.js";

export const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
/** Sign-in derives the store key (PBKDF2) and makes MLS keys: slow on a loaded 2-core machine. */
const SLOW_MS = 60_000;

/** Why the browser tests cannot run here, or undefined when chromium is there. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`;
}

/** One person in one browser: their own chromium and profile. */
export class BrowserUser {
  private constructor(
    readonly name: string,
    readonly profile: string,
    readonly context: BrowserContext,
    public page: Page,
    readonly pageErrors: string[],
  ) {}

  static async launch(name: string, viewport = { width: 1280, height: 800 }): Promise<BrowserUser> {
    const profile = tempDir(`chromium-${name}`);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const user = new BrowserUser(name, profile, context, page, []);
    user.watch(page);
    return user;
  }

  private watch(page: Page): void {
    page.setDefaultTimeout(SLOW_MS);
    page.on("pageerror", (error) => this.pageErrors.push(error.message));
  }

  /** Opens the page in a new tab (after the old one was closed, say). */
  async openTab(): Promise<Page> {
    this.page = await this.context.newPage();
    this.watch(this.page);
    return this.page;
  }

  /** Fills the sign-in form; a name new to this browser is asked for the passphrase twice. */
  async signIn(url: string): Promise<void> {
    const page = this.page;
    await page.goto(url);
    await page.fill("#name", this.name);
    await page.fill("#passphrase", PASSPHRASE);
    await page.click("button[type=submit]");
    const next = await Promise.race([
      page.waitForSelector("#confirm").then(() => "confirm" as const),
      page.waitForSelector(".chat").then(() => "chat" as const),
    ]);
    if (next === "confirm") {
      await page.fill("#confirm", PASSPHRASE);
      await page.click("button[type=submit]");
    }
    await page.waitForSelector(".chat .link-live");
  }

  async say(line: string): Promise<void> {
    await this.page.fill("#message-input", line);
    await this.page.press("#message-input", "Enter");
    await this.page.waitForFunction(
      () => (document.querySelector("#message-input") as HTMLTextAreaElement).value === "",
    );
  }

  /** The texts of the messages shown in the current room, in order. */
  messageTexts(): Promise<string[]> {
    return this.page.$$eval(".messages .message .text", (nodes) => nodes.map((node) => node.textContent ?? ""));
  }

  /** Waits until the current room shows a message whose text is exactly `text`. */
  async waitForMessage(text: string): Promise<void> {
    await this.page.waitForFunction(
      (wanted) =>
        Array.from(document.querySelectorAll(".messages .message .text")).some((node) => node.textContent === wanted),
      text,
    );
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
