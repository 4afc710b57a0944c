import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { browserSuite, screenshot } from './browser.js';

/** Pages served over HTTP, as the dashboard's will be; anything else is a 404. */
const PAGES: Record<string, string> = {
  // Each page names its icon inline: Chromium asks for /favicon.ico otherwise, at a moment of its
  // choosing, and its 404 would be one console error more, or not.
  '/clean': '<!doctype html><title>clean</title><link rel="icon" href="data:,"><h1>All well</h1><script>console.log("fine"); console.warn("only a warning");</script>',
  '/broken': `<!doctype html><title>broken</title><link rel="icon" href="data:,"><h1>Broken</h1>
<script src="/missing.js"></script>
<script>
console.error('the API said', 500);
setTimeout(() => { throw new Error('nobody caught this'); });
</script>`,
};

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

browserSuite('browser helper (playwright-core + chromium)', (browser) => {
  let server: Server | undefined;
  let base: string;
  beforeAll(async () => {
    const started = createServer((request, response) => {
      const page = PAGES[request.url ?? ''];
      response.writeHead(page === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(page ?? 'not found');
    });
    await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
    server = started;
    base = `http://127.0.0.1:${(started.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    // Unset when the browser's beforeAll failed first (CI without a browser).
    const started = server;
    if (started !== undefined) await new Promise((resolve) => started.close(resolve));
  });

  it('records console errors, failed loads and uncaught errors, in order', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/broken`);
    await expect.poll(() => page.consoleErrors.length).toBe(3);
    expect(page.consoleErrors).toEqual([
      `Failed to load resource: the server responded with a status of 404 (Not Found) (${base}/missing.js:1)`,
      expect.stringMatching(new RegExp(`^the API said 500 \\(${base}/broken:\\d+\\)$`)),
      'uncaught: nobody caught this',
    ]);
  });

  it('records nothing for a page that only logs and warns', async () => {
    const page = await browser.newPage();
    const logged: string[] = [];
    page.on('console', (message) => logged.push(`${message.type()}: ${message.text()}`));
    await page.goto(`${base}/clean`);
    await expect.poll(() => logged).toEqual(['log: fine', 'warning: only a warning']);
    await expect(page.locator('h1').textContent()).resolves.toBe('All well');
    expect(page.consoleErrors).toEqual([]);
  });

  it('records errors of a data: URL page too, without its location', async () => {
    const page = await browser.newPage();
    await page.goto('data:text/html,<script>console.error("from data")</script>');
    await expect.poll(() => page.consoleErrors).toEqual(['from data']);
  });

  it('writes a screenshot as a PNG under test-artifacts/screenshots/', async () => {
    const page = await browser.newPage({ viewport: { width: 320, height: 200 } });
    await page.goto(`${base}/clean`);
    const file = await screenshot(page, 'testkit browser/self-test');
    expect(file).toMatch(/\/test-artifacts\/screenshots\/testkit-browser-self-test\.png$/);
    // Left in place (gitignored), for a look at what the browser drew.
    const png = await readFile(file);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    // IHDR, right after the signature: width and height at bytes 16 and 20 (the viewport here).
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([320, 200]);
  });
});
