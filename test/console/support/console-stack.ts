/**
 * The console's browser tests run against the real stack: the API (serving the built console),
 * a worker with the production workflow bundle, the suite's PostgreSQL and Temporal dev server,
 * demo SCIM servers, and Debian's Chromium driven by playwright-core (no browser download).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ApiHarness } from '../../support/api-harness';
import { startStack } from '../../support/e2e-stack';
import { uniq } from '../../support/fixtures';

const ROOT = resolve(__dirname, '..', '..', '..');
const CONSOLE_SRC = join(ROOT, 'apps', 'console');
const CONSOLE_INDEX = join(ROOT, 'dist', 'console', 'index.html');
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(ROOT, 'docs', 'console');
/** `CONSOLE_SCREENSHOTS=1 npx jest test/console` refreshes the screenshots in docs/console/. */
export const TAKE_SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS === '1';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function consoleIsFresh(): boolean {
  if (!existsSync(CONSOLE_INDEX)) return false;
  const built = statSync(CONSOLE_INDEX).mtimeMs;
  return built >= newestMtime(CONSOLE_SRC) && built >= statSync(join(ROOT, 'docs', 'openapi.json')).mtimeMs;
}

/**
 * Builds the console when dist/console is missing or older than its sources (CI has built it
 * already). Test files run in parallel: a lock directory keeps two of them from building at once.
 */
export function ensureConsoleBuilt(): void {
  if (consoleIsFresh()) return;
  const lock = join(ROOT, 'dist', '.console-build-lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // another test file is building; wait for it, then use its build (a lock left by a killed run expires)
      if (existsSync(lock) && statSync(lock).mtimeMs < Date.now() - 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      execFileSync('sleep', ['1']);
      if (!existsSync(lock) && consoleIsFresh()) return;
    }
  }
  try {
    if (!consoleIsFresh()) execFileSync('npm', ['run', 'build:console', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface ConsoleStack {
  api: ApiHarness;
  baseUrl: string;
  browser: Browser;
  /** a fresh browser context (own sessionStorage) at 1280x800 */
  newPage(): Promise<Page>;
  /** what the browser refused under the Content-Security-Policy, on any page of this stack */
  cspViolations: string[];
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startConsoleStack(): Promise<ConsoleStack> {
  ensureConsoleBuilt();
  const stack = await startStack({
    taskQueue: uniq('console'),
    config: { temporalUiUrl: 'http://127.0.0.1:8233' },
    api: true,
    worker: true,
  });
  const api = stack.api;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  try {
    await api.app.listen(0, '127.0.0.1');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (err) {
    await stack.stop();
    throw err;
  }
  const b = browser;
  stack.onStop(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await b.close();
  });
  const port = (api.app.getHttpServer().address() as AddressInfo).port;
  const cspViolations: string[] = [];
  return {
    api,
    baseUrl: `http://127.0.0.1:${port}`,
    browser: b,
    cspViolations,
    async newPage() {
      const context = await b.newContext({ viewport: { width: 1280, height: 800 }, baseURL: `http://127.0.0.1:${port}` });
      context.setDefaultTimeout(20_000);
      contexts.push(context);
      const page = await context.newPage();
      // Chromium reports every blocked script, style, image or connection on the console
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(`${page.url()}: ${message.text()}`);
      });
      return page;
    },
    async screenshot(page, name) {
      if (!TAKE_SCREENSHOTS) return;
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
    },
    close: () => stack.stop(),
  };
}

/** Signs in through the form with the keyboard only: type the token, press Enter. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('API token').fill(token);
  await page.keyboard.press('Enter');
  await page.getByTestId('scope').waitFor();
}

type Scope = Page | ReturnType<Page['locator']>;
const labelled = (label: string) => new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\*)?$`);

/** The input labelled exactly `label` (a required field's label ends in " *"). */
export function field(scope: Scope, label: string) {
  return scope.getByRole('textbox', { name: labelled(label) });
}

/** Picks an option of a Mantine Select (a combobox) by its label and the option's text. */
export async function pick(page: Page, scope: Scope, label: string, option: string | RegExp): Promise<void> {
  await scope.getByRole('combobox', { name: labelled(label) }).click();
  await page.getByRole('option', { name: option }).first().click();
}

/** The value of a Mantine Select. */
export function combobox(scope: Scope, label: string) {
  return scope.getByRole('combobox', { name: labelled(label) });
}

/**
 * With CONSOLE_DEBUG=1, a full-page screenshot of `page` after each test, in
 * /tmp/console-<prefix>-<test name>.png. Call at the top level of a spec file.
 */
export function screenshotEachTestWhenDebugging(prefix: string, page: () => Page | undefined): void {
  afterEach(async () => {
    if (process.env.CONSOLE_DEBUG !== '1') return;
    const name = (expect.getState().currentTestName ?? 'test').slice(0, 40).replace(/\W+/g, '-');
    await page()?.screenshot({ fullPage: true, path: `/tmp/console-${prefix}-${name}.png` });
  });
}
