/**
 * Tests in a real headless browser: Debian's chromium (installed by `scripts/services.sh up`, which
 * writes its path as CHROMIUM_PATH), driven by playwright-core. Playwright's own browser download
 * comes from a CDN the test machines cannot reach, so nothing here downloads a browser.
 *
 * Without a browser the tests skip with a loud warning, and fail in CI (`CI=true`), as the store
 * suites do without their servers.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Browser, BrowserContextOptions, LaunchOptions, Page, PageScreenshotOptions } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';

const HOW = 'run `scripts/services.sh up && source .services/env` at the repository root (it installs Debian\'s chromium and writes CHROMIUM_PATH), then run the tests again';

/** A playwright {@link Page} that records what went wrong in it. @public */
export type RecordedPage = Page & {
  /**
   * Every `console.error` the page logged (with Chromium's own, such as a resource that failed to
   * load) and every error thrown in the page that nothing caught (`uncaught: ...`), in order.
   * Assert `expect(page.consoleErrors).toEqual([])` to show a page ran cleanly.
   */
  readonly consoleErrors: string[];
};

/** The browser of a test file or describe block, from {@link useBrowser} or {@link browserSuite}. @public */
export interface BrowserHandle {
  /**
   * Opens a page in a context of its own (no cookies or storage shared with other pages), which
   * records its console errors and uncaught errors in `consoleErrors`. Call it in a test or a
   * hook; everything it opened closes with the browser after the block's tests.
   */
  newPage(options?: BrowserContextOptions): Promise<RecordedPage>;
  /** The playwright browser itself, in tests and hooks (it is launched in a `beforeAll`). */
  readonly browser: Browser;
}

/** How {@link useBrowser} launches the browser. @public */
export interface BrowserOptions {
  /**
   * More launch options for playwright's `chromium.launch()`; `args` are added to
   * `--no-sandbox`. The executable is always CHROMIUM_PATH; headless unless `headless: false`.
   */
  launch?: Omit<LaunchOptions, 'executablePath'>;
}

/** Why no browser can be launched here, or undefined when CHROMIUM_PATH names a file. */
function browserMissing(): string | undefined {
  const path = process.env.CHROMIUM_PATH;
  if (path === undefined || path === '') return 'CHROMIUM_PATH is not set';
  if (!existsSync(path)) return `CHROMIUM_PATH is ${path}, which does not exist`;
  return undefined;
}

function warnSkipped(what: string, missing: string): void {
  console.warn(`\n*** @horae/testkit: ${missing}, so ${what} are SKIPPED. To run them, ${HOW}. ***\n`);
}

/**
 * Launches chromium for the tests of the enclosing describe block (or of the file, at its top
 * level): registers a `beforeAll` that launches it and an `afterAll` that closes it, and returns
 * the handle tests open pages with.
 *
 * Without a browser (CHROMIUM_PATH unset, or no such file) the block's tests are skipped, with a
 * warning on the console; in CI (`CI=true`) they fail instead, saying how to install it.
 * {@link browserSuite} is the same in a describe block of its own, which skips the block's other
 * hooks too.
 *
 * @example
 * ```ts
 * describe('the dashboard', () => {
 *   const browser = useBrowser();
 *   it('shows the tasks without errors', async () => {
 *     const page = await browser.newPage();
 *     await page.goto(`${baseUrl}/`);
 *     await expect(page.locator('h1').textContent()).resolves.toBe('Tasks');
 *     await screenshot(page, 'dashboard-tasks');
 *     expect(page.consoleErrors).toEqual([]);
 *   });
 * });
 * ```
 * @public
 */
export function useBrowser(options: BrowserOptions = {}): BrowserHandle {
  let browser: Browser | undefined;
  const missing = browserMissing();

  if (missing !== undefined && process.env.CI !== 'true') {
    warnSkipped('the browser tests of a useBrowser() block', missing);
    beforeEach((context) => context.skip(`${missing}; ${HOW}`));
  } else if (missing !== undefined) {
    // In beforeEach rather than beforeAll: each test then counts as failed (a failed beforeAll
    // leaves them counted as skipped, which CI's closing summary line would report).
    beforeEach(() => {
      throw new Error(`${missing}: CI must run the browser tests in a real browser; ${HOW}.`);
    });
  } else {
    // A generous timeout: launching takes a second or two, more on a busy machine.
    beforeAll(async () => {
      // Loaded here, not at the top: the store suites import this package too, and need no browser.
      const { chromium } = await import('playwright-core');
      const launch = options.launch ?? {};
      browser = await chromium.launch({
        ...launch,
        executablePath: process.env.CHROMIUM_PATH,
        headless: launch.headless ?? true,
        // Chromium refuses to start its sandbox as root (as the tests run in CI and containers),
        // and the pages are the tests' own.
        args: ['--no-sandbox', ...(launch.args ?? [])],
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      browser = undefined;
    });
  }

  const launched = (): Browser => {
    if (browser === undefined) throw new Error('@horae/testkit: the browser is not launched: use the handle of useBrowser() in tests and hooks, not while tests are being collected.');
    return browser;
  };
  return {
    get browser() {
      return launched();
    },
    async newPage(contextOptions) {
      const context = await launched().newContext(contextOptions);
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        const { url, lineNumber } = message.location();
        // A data: URL's location is the whole page again; any other names the file and line.
        const where = url === '' || url.startsWith('data:') ? '' : ` (${url}:${lineNumber + 1})`;
        consoleErrors.push(`${message.text()}${where}`);
      });
      page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
      return Object.assign(page, { consoleErrors });
    },
  };
}

/**
 * A describe block whose tests run in a real browser: {@link useBrowser} in `describe(name)`.
 * Without a browser the whole block (its own hooks too) is skipped with a warning on the console,
 * and fails in CI (`CI=true`).
 *
 * @example
 * ```ts
 * browserSuite('the dashboard', (browser) => {
 *   it('loads without errors', async () => {
 *     const page = await browser.newPage();
 *     await page.goto(`${baseUrl}/`);
 *     expect(page.consoleErrors).toEqual([]);
 *   });
 * });
 * ```
 * @public
 */
export function browserSuite(name: string, body: (browser: BrowserHandle) => void, options?: BrowserOptions): void {
  const missing = browserMissing();
  if (missing !== undefined && process.env.CI !== 'true') {
    warnSkipped(`the "${name}" browser tests`, missing);
    describe.skip(`${name} (skipped: ${missing})`, () => body(useBrowserQuietly()));
    return;
  }
  describe(name, () => body(useBrowser(options)));
}

/** A handle for the tests of a skipped block, which never run: nothing launched, nothing said. */
function useBrowserQuietly(): BrowserHandle {
  const never = (): never => {
    throw new Error('@horae/testkit: no browser here (CHROMIUM_PATH); these tests should have been skipped.');
  };
  return {
    get browser(): Browser {
      return never();
    },
    newPage: async () => never(),
  };
}

/**
 * The repository the tests run in: the nearest directory from the working directory up that holds
 * pnpm-workspace.yaml or .git; else the working directory.
 */
function repositoryRoot(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml')) || existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/**
 * Saves a PNG of the page (the whole page, not only the viewport, unless `options` say otherwise)
 * as `test-artifacts/screenshots/<name>.png` at the repository root (gitignored), for a person to
 * look at after the run; returns the file's absolute path. Characters of `name` other than
 * letters, digits, `.`, `_` and `-` become `-`; the same name again overwrites the file.
 *
 * @example
 * ```ts
 * const file = await screenshot(page, 'dashboard-tasks'); // <root>/test-artifacts/screenshots/dashboard-tasks.png
 * ```
 * @public
 */
export async function screenshot(page: Page, name: string, options: Omit<PageScreenshotOptions, 'path'> = {}): Promise<string> {
  const dir = resolve(repositoryRoot(), 'test-artifacts', 'screenshots');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^\w.-]/g, '-')}.png`);
  await page.screenshot({ fullPage: true, ...options, type: 'png', path: file });
  return file;
}
