/**
 * Browser side of the end-to-end tests: the Debian Chromium driven by playwright-core
 * (never a downloaded browser), the built client, and page helpers that act as a person
 * would (labels and roles, the keyboard), so the tests also exercise accessibility.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SignJWT } from "jose";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { closeAll } from "../helpers/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startNode, type RunningNode } from "../helpers/node.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLIENT_DIST = path.join(REPO, "client/dist");
export const RESULTS = path.join(REPO, "test-results");

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const e of fs.readdirSync(p)) {
    if (e === "dist" || e === "node_modules" || e.endsWith(".test.ts")) continue;
    max = Math.max(max, newestMtime(path.join(p, e)));
  }
  return max;
}

/** Builds client/dist when it is missing or older than the client's sources. */
export function ensureClientBuilt(): void {
  const index = path.join(CLIENT_DIST, "index.html");
  const sources = Math.max(
    newestMtime(path.join(REPO, "client/src")),
    newestMtime(path.join(REPO, "client/index.html")),
    newestMtime(path.join(REPO, "client/vite.config.ts")),
    newestMtime(path.join(REPO, "client/public")),
    newestMtime(path.join(REPO, "src/shared/protocol.ts")),
    newestMtime(path.join(REPO, "src/shared/wire.ts")),
  );
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return;
  const vite = path.join(REPO, "node_modules/vite/bin/vite.js");
  const r = spawnSync(process.execPath, [vite, "build", "--config", "client/vite.config.ts", "--logLevel", "warn"], {
    cwd: REPO,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`client build failed:\n${r.stdout}\n${r.stderr}`);
}

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
  // launch() gives every run a fresh temporary profile (user-data-dir) and removes it on close.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

export interface PersonOptions {
  width?: number;
  height?: number;
  colorScheme?: "light" | "dark";
  /** The browser's language (navigator.languages); Playwright's default is en-US. */
  locale?: string;
}

/**
 * A person: a fresh browser context (own storage, own socket) with one page. Page
 * errors and dialogs are recorded so tests can assert there were none.
 */
export class Person {
  readonly errors: string[] = [];
  readonly dialogs: string[] = [];
  readonly cspViolations: string[] = [];
  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, name: string, base: string, opts: PersonOptions = {}): Promise<Person> {
    const context = await browser.newContext({
      baseURL: base,
      viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
      colorScheme: opts.colorScheme ?? "light",
      reducedMotion: "reduce",
      ...(opts.locale ? { locale: opts.locale } : {}),
    });
    const page = await context.newPage();
    const p = new Person(name, context, page);
    page.on("pageerror", (e) => p.errors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text())) p.cspViolations.push(m.text());
    });
    page.on("dialog", (d) => {
      p.dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    return p;
  }

  /** Opens the page and signs in with a username (open mode). */
  async signIn(hash = ""): Promise<void> {
    await this.page.goto(`/${hash}`);
    await this.page.getByLabel("Username").fill(this.name);
    await this.page.getByRole("button", { name: "Sign in", exact: true }).click();
    await this.page.locator(".shell").waitFor();
  }

  /** Joins (or creates) a room through the sidebar box, with the keyboard. */
  async join(room: string): Promise<void> {
    const box = this.page.getByLabel("Join or create a room");
    await box.fill(room);
    await box.press("Enter");
    await this.waitFor(this.roomHeading(room));
    await this.waitFor(this.page.locator(".messages"));
  }

  roomHeading(room: string): Locator {
    return this.page.locator("h1.room-title", { hasText: room });
  }

  composer(): Locator {
    return this.page.getByRole("textbox", { name: /^Message / });
  }

  /** Types a message and presses Enter. */
  async send(text: string): Promise<void> {
    const box = this.composer();
    await box.fill(text);
    await box.press("Enter");
  }

  /** The stored messages on screen, in order (not pending ones). */
  bodies(): Promise<string[]> {
    return this.page.locator(".message-list li.msg[data-seq] .body").allTextContents();
  }

  /** The seqs of the stored messages on screen, in order. */
  async seqs(): Promise<number[]> {
    const raw = await this.page.locator(".message-list li.msg[data-seq]").evaluateAll((els) =>
      els.map((e) => (e as HTMLElement).dataset.seq ?? ""),
    );
    return raw.map(Number);
  }

  /**
   * Waits for `locator` to be visible. On a timeout the error carries the text the page
   * shows (a connection banner, a search's status), so that a failure in CI says why.
   */
  async waitFor(locator: Locator, timeoutMs = 30_000): Promise<void> {
    try {
      await locator.waitFor({ timeout: timeoutMs });
    } catch (err) {
      const shown = await this.page
        .locator("body")
        .innerText({ timeout: 2000 })
        .catch((e: unknown) => `(no text: ${String(e)})`);
      throw new Error(`${String(err)}\n--- what ${this.name}'s page shows:\n${shown.slice(0, 3000)}`, { cause: err });
    }
  }

  async screenshot(file: string): Promise<string> {
    fs.mkdirSync(RESULTS, { recursive: true });
    const out = path.join(RESULTS, file);
    await this.page.screenshot({ path: out });
    return out;
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/**
 * One node on a fresh database serving the built client, and one browser: the start-up and
 * the final checks every single-node e2e file shares. Call start() in before() and stop() in
 * after(); if start() fails part-way, stop() still closes what did start.
 */
export class OneNodeSite {
  db!: TestDatabase;
  server!: RunningNode;
  browser!: Browser;
  /** Everyone opened in the file, so that stop() can check none of them saw an error. */
  readonly people: Person[] = [];

  /** `env`: the node's own settings (NODE_ID, limits) on top of the database and the client. */
  async start(label: string, env: Record<string, string>): Promise<void> {
    ensureClientBuilt();
    this.db = await createTestDatabase(label);
    this.server = await this.startServer(env);
    this.browser = await launchBrowser();
  }

  /** A node on the file's database serving the client; tests start extra ones for other settings. */
  startServer(env: Record<string, string>): Promise<RunningNode> {
    return startNode({ DATABASE_URL: this.db.url, STATIC_DIR: CLIENT_DIST, ...env });
  }

  /** A person on the file's node, checked for page errors and CSP violations in stop(). */
  async person(name: string, opts?: PersonOptions): Promise<Person> {
    const p = await Person.open(this.browser, name, this.server.url, opts);
    this.people.push(p);
    return p;
  }

  async stop(): Promise<void> {
    for (const p of this.people) assert.deepEqual(p.errors, [], `${p.name}: page errors`);
    for (const p of this.people) assert.deepEqual(p.cspViolations, [], `${p.name}: CSP violations`);
    await this.browser?.close();
    closeAll();
    await this.server?.stop();
    await this.db?.drop();
  }
}

/** Polls `fn` until it returns a truthy value; fails with `what` when the deadline passes. */
export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An HS256 token for `sub` that expires in `seconds`, for the jwt-mode pages. */
export function hs256Token(secret: string, sub: string, seconds: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(new TextEncoder().encode(secret));
}
