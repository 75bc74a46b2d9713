import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openTestDb, type TestDb } from '../helpers/databases.js';
import { runReport } from '../../src/report/service.js';
import { loadReportFixture, XSS_IMG, XSS_SCRIPT } from '../integration/report-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) throw new Error(`${CHROMIUM} is required under CI for the HTML report test`);
if (!hasChromium) console.warn(`[voc tests] ${CHROMIUM} not found: the HTML report browser test is skipped (apt-get install chromium)`);

interface Visit {
  page: Page;
  requests: string[];
  dialogs: string[];
  errors: string[];
}

describe.skipIf(!hasChromium)('HTML report in headless Chromium', () => {
  let db: TestDb;
  let browser: Browser;
  beforeAll(async () => {
    db = await openTestDb('sqlite');
    await loadReportFixture(db.store);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await db?.cleanup();
  });

  /** Writes the product's report to a file and opens it, recording every request, dialog and page error. */
  async function open(productId: string, viewport = { width: 1024, height: 800 }): Promise<Visit> {
    const file = path.join(db.home, `${productId}.html`);
    const r = await runReport({ productId, format: 'html', until: '2024-12-31' }, { store: db.store, config: db.config });
    writeFileSync(file, r.content!);
    const page = await browser.newPage({ viewport });
    const v: Visit = { page, requests: [], dialogs: [], errors: [] };
    page.on('request', (req) => v.requests.push(req.url()));
    page.on('dialog', (d) => {
      v.dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => v.errors.push(e.message));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return v;
  }

  it('shows the four kinds of chart as inline SVG', async () => {
    const { page } = await open('P1');
    const charts = await page.$$eval('svg.chart', (els) => els.map((e) => e.getAttribute('data-chart')));
    expect(charts).toEqual(expect.arrayContaining(['ratings', 'trend', 'sentiment', 'w-who', 'w-what']));
    // the histogram has one bar per star and the trend line one point per month
    expect(await page.$$eval('svg[data-chart="ratings"] rect', (els) => els.length)).toBe(5);
    expect(await page.$$eval('svg[data-chart="trend"] circle', (els) => els.length)).toBe(3);
    const box = await page.locator('svg[data-chart="ratings"]').boundingBox();
    expect(box!.width).toBeGreaterThan(100);
    await page.close();
  });

  it('runs no script from review text and loads nothing besides the document', async () => {
    const v = await open('P1');
    const { page } = v;
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(v.dialogs).toEqual([]);
    expect(v.errors).toEqual([]);
    expect(v.requests).toHaveLength(1);
    expect(v.requests[0]).toMatch(/^file:.*P1\.html$/);
    expect(await page.$$eval('script, img, iframe, object, embed, link', (els) => els.length)).toBe(0);
    const text = await page.locator('body').innerText();
    expect(text).toContain(`${XSS_SCRIPT} battery died`);
    expect(text).toContain(`${XSS_IMG} battery died fast`);
    expect(text).toContain('Earbuds <b>X</b>');
    await page.close();
  });

  it('fits a phone screen without sideways scrolling and keeps its charts in print', async () => {
    const { page } = await open('P1', { width: 375, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('svg[data-chart="ratings"]').isVisible()).toBe(true);
    await page.close();
  });

  it('a product without analysis opens with a clear note and still charts its ratings', async () => {
    const { page, requests } = await open('P2');
    expect(await page.locator('.notice').innerText()).toContain('No analysis yet for P2');
    expect(await page.$$eval('svg[data-chart="ratings"]', (els) => els.length)).toBe(1);
    expect(requests).toHaveLength(1);
    await page.close();
  });
});
