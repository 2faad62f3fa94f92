/**
 * The search page in a real browser: Debian's chromium (never a downloaded browser) driven by
 * playwright-core, against the real server on 127.0.0.1 with a small real index.
 * CI needs: apt-get install -y chromium
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/search-api/server.js';
import { COMMIT_A, TOKENS, appFor, buildFixture, type Fixture } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `web-page.test.ts skipped: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`,
  );
}

describe.skipIf(!hasChromium)('search page in chromium', () => {
  let fx: Fixture;
  let server: RunningServer;
  let browser: Browser;
  let shots: string;

  beforeAll(async () => {
    fx = await buildFixture();
    server = await startServer(appFor(fx), {
      port: 0,
      host: '127.0.0.1',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
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
    shots = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-web-'));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fx?.cleanup();
    // Keep screenshots when asked (CODEIDX_KEEP_SCREENSHOTS=1) to look at them; otherwise clean up.
    if (shots && !process.env.CODEIDX_KEEP_SCREENSHOTS) fs.rmSync(shots, { recursive: true, force: true });
    else if (shots) console.log(`screenshots in ${shots}`);
  });

  async function newPage(): Promise<{ page: Page; errors: string[]; dialogs: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    return { page, errors, dialogs };
  }

  it('searches with the keyboard, shows highlighted results and links to the code at the indexed commit', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${server.url}/`);
    // The token is needed: enter it once; it is kept in localStorage.
    await expect(page.locator('#token-box').getAttribute('open')).resolves.not.toBeNull();
    await page.getByLabel('Bearer token').fill(TOKENS.org);
    await page.getByLabel('Bearer token').dispatchEvent('change');
    // "/" focuses the search box from anywhere on the page.
    await page.locator('h1').click();
    await page.keyboard.press('/');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('q');
    await page.keyboard.type('parse config');
    await page.getByLabel('Mode').selectOption('lexical');
    await page.locator('#q').press('Enter');
    await page.locator('.result').first().waitFor();
    const status = await page.locator('#status').textContent();
    expect(status).toMatch(/\d+ results? in \d+ ms \(lexical\)/);

    const titles = await page.locator('.result-title').allTextContents();
    expect(titles.some((t) => t.includes('org/a › src/config/parse-config.ts:10'))).toBe(true);
    // Never the other tenant's code.
    expect(titles.every((t) => t.startsWith('org/'))).toBe(true);
    const href = await page
      .locator('.result-title a', { hasText: 'org/a › src/config/parse-config.ts' })
      .first()
      .getAttribute('href');
    expect(href).toBe(`https://github.com/org/a/blob/${COMMIT_A}/src/config/parse-config.ts#L10-L13`);
    const marks = await page.locator('.snippet mark').allTextContents();
    expect(marks.map((m) => m.toLowerCase())).toEqual(expect.arrayContaining(['parse', 'config']));
    // The search is in the address bar, so it can be shared.
    expect(new URL(page.url()).searchParams.get('q')).toBe('parse config');
    expect(await page.evaluate<string | null>("localStorage.getItem('codeidx.token')")).toBe(TOKENS.org);

    await page.screenshot({ path: path.join(shots, 'results.png'), fullPage: true });
    expect(fs.statSync(path.join(shots, 'results.png')).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows HTML in code as text, never as markup', async () => {
    const { page, errors, dialogs } = await newPage();
    await page.goto(`${server.url}/`);
    await page.evaluate(`localStorage.setItem('codeidx.token', ${JSON.stringify(TOKENS.org)})`);
    await page.goto(`${server.url}/?q=render+script+img&repo=org/b&mode=lexical`);
    await page.locator('.result').first().waitFor();
    const snippet = await page.locator('.snippet').first().textContent();
    expect(snippet).toContain('<script>alert(1)</script><img src=x onerror=alert(2)>');
    expect(await page.locator('.results script, .results img').count()).toBe(0);
    expect(await page.locator('.snippet mark', { hasText: /^script$/i }).count()).toBeGreaterThan(0);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('explains errors: a missing token, a bad filter', async () => {
    const { page } = await newPage();
    await page.goto(`${server.url}/?q=parse`);
    await page.locator('#status.error').waitFor();
    expect(await page.locator('#status').textContent()).toMatch(/bearer token/);
    expect(await page.locator('#token-box').getAttribute('open')).not.toBeNull();
    await page.getByLabel('Bearer token').fill(TOKENS.org);
    await page.getByLabel('Path').fill('../etc');
    await page.locator('#q').press('Enter');
    await page.waitForFunction("document.getElementById('status')?.textContent?.includes('path:')");
    expect(await page.locator('#status').textContent()).toMatch(/path: must not contain "\.\." segments/);
    await page.screenshot({ path: path.join(shots, 'error.png') });
    await page.close();
  });

  it('docs page lists the operations and can call one', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${server.url}/docs`);
    await page.locator('.op').first().waitFor();
    const ops = await page.locator('.op h2').allTextContents();
    expect(ops).toEqual(expect.arrayContaining(['GET/v1/search', 'POST/v1/search', 'GET/healthz']));
    const health = page.locator('.op', { hasText: '/healthz' });
    await health.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => health.locator('pre').textContent()).toMatch(/^200 OK[\s\S]*"status": "ok"/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
