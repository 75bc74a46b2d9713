import { execFileSync } from 'node:child_process';
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

/** Debian's fonts-noto-cjk (installed by .ci/run): the face the report's font stack names first for Chinese on Linux. */
const CJK_FONT = 'Noto Sans CJK SC';
const hasCjkFont = (() => {
  try {
    return execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).includes(CJK_FONT);
  } catch {
    return false;
  }
})();
if (hasChromium && !hasCjkFont && process.env.CI)
  throw new Error(`the font "${CJK_FONT}" (fonts-noto-cjk) is required under CI for the HTML report test`);
if (hasChromium && !hasCjkFont)
  console.warn(`[voc tests] font "${CJK_FONT}" not found: the Chinese rendering check is skipped (apt-get install fonts-noto-cjk)`);

/** A product whose title is Chinese and whose reviews span 30 months, for the font and month-axis checks. */
const ZH_TITLE = '降噪蓝牙耳机 Pro（黑色）';
async function loadLongProduct(db: TestDb): Promise<void> {
  const k = db.store.knex;
  await k('products').insert({ id: 'P3', title: ZH_TITLE, first_seen_at: 1_700_000_000_000, learn_status: 'none' });
  const rows = Array.from({ length: 30 }, (_, i) => {
    const date = `${2022 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-15`;
    const body = `很好用，第${i}个月`;
    return {
      source_key: `zh|${i}`,
      review_id: `zh${i}`,
      product_id: 'P3',
      rating: 1 + (i % 5),
      body,
      body_hash: `zh${i}`,
      review_date: date,
      class: 'short',
      body_len: body.length,
      created_at: 1_700_000_000_000,
    };
  });
  await k('reviews').insert(rows);
}

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
    await loadLongProduct(db);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
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

  it('labels 30 months on the trend axis without any two labels touching, on a desktop and on a phone', async () => {
    for (const viewport of [
      { width: 1024, height: 800 },
      { width: 375, height: 740 },
    ]) {
      const { page } = await open('P3', viewport);
      expect(await page.$$eval('svg[data-chart="trend"] circle', (els) => els.length)).toBe(30);
      const boxes = await page.$$eval('svg[data-chart="trend"] text.month', (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { text: e.textContent, left: r.left, right: r.right };
        }),
      );
      const chart = (await page.locator('svg[data-chart="trend"]').boundingBox())!;
      expect(boxes.length).toBeGreaterThanOrEqual(6);
      expect(boxes.at(-1)!.text).toBe('2024-06');
      for (let i = 1; i < boxes.length; i++)
        expect(boxes[i].left, `${boxes[i - 1].text} / ${boxes[i].text} at ${viewport.width}px`).toBeGreaterThan(boxes[i - 1].right);
      for (const b of boxes) expect(b.left >= chart.x && b.right <= chart.x + chart.width, `${b.text} inside the chart`).toBe(true);
      await page.close();
    }
  });

  it.skipIf(!hasCjkFont)(`draws every Chinese character with ${CJK_FONT}, none as a fallback box`, async () => {
    const { page } = await open('P3');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument');
    // the glyphs each font drew for a node's text, as Chromium's layout reports them
    const fontsOf = async (selector: string) => {
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      return fonts;
    };
    const title = await page.locator('h1').innerText();
    expect(title).toContain(ZH_TITLE);
    const cjkChars = [...title].filter((c) => /[\u3000-\u9fff\uff00-\uffef]/.test(c)).length;
    expect(cjkChars).toBe(10);
    const fonts = await fontsOf('h1');
    const cjk = fonts.filter((f) => f.familyName === CJK_FONT).reduce((n, f) => n + f.glyphCount, 0);
    // a character no font had would be drawn as a box by the first font and not counted here
    expect(cjk, JSON.stringify(fonts)).toBeGreaterThanOrEqual(cjkChars);
    // and by width: a CJK face draws each Han character one em wide, a box from a Latin face is narrower
    const han = '降噪蓝牙耳机黑色';
    const width = await page.evaluate((text) => {
      const s = document.createElement('span');
      s.textContent = text;
      s.style.fontSize = '20px';
      document.body.append(s);
      return s.getBoundingClientRect().width;
    }, han);
    expect(width).toBeCloseTo(han.length * 20, 0);
    await cdp.detach();
    await page.close();
  });
});
