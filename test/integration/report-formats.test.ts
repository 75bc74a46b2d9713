import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/databases.js';
import { buildReport } from '../../src/report/aggregates.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJson } from '../../src/report/json.js';
import { int, pct, signed, stars, ratingsText, money } from '../../src/report/format.js';
import { runReportCommand } from '../../src/commands/report.js';
import { createReportService } from '../../src/report/service.js';
import type { DaemonContext } from '../../src/context.js';
import type { LaneTask } from '../../src/lanes/types.js';
import type { ReportData } from '../../src/report/types.js';
import { VocError } from '../../src/errors.js';
import { loadReportFixture } from './report-fixture.js';
import { overview } from '../../src/report/overview.js';
import { dimensions, ranking, type LabelRow } from '../../src/report/insights.js';
import { fiveW, themeGroups } from '../../src/report/profile.js';

let db: TestDb;
beforeAll(async () => {
  db = await openTestDb('sqlite');
  await loadReportFixture(db.store);
});
afterAll(async () => db && (await db.cleanup()));

/** Every figure a reader sees, formatted the way both human formats must print it. */
function figures(d: ReportData): string[] {
  const o = d.overview!;
  const out = [int(o.reviews), stars(o.averageRating), pct(o.translated.share), pct(o.analysed.share), pct(o.themed.share)];
  for (const m of o.byMonth) out.push(m.month, stars(m.averageRating));
  for (const m of o.marketplaces) out.push(pct(m.share));
  for (const x of d.dimensions) out.push(signed(x.netSentiment));
  for (const i of d.painPoints.items) out.push(ratingsText(i.ratings));
  for (const w of d.fiveW) for (const l of w.labels) out.push(pct(l.share));
  out.push(money(d.cost.cost, d.cost.currency), int(d.cost.totalTokens));
  // realtime calls and Batch API requests apart
  out.push(money(d.cost.realtime.cost, d.cost.currency), money(d.cost.batch.cost, d.cost.currency), 'Batch API');
  return out;
}

describe('report formats', () => {
  it('Markdown, HTML and JSON show the same numbers, and they are the hand-computed ones', async () => {
    const d = await buildReport(db.store, { productId: 'P1' }, { currency: 'CNY' });
    const mdText = renderMarkdown(d);
    const html = renderHtml(d);
    expect(JSON.parse(renderJson(d))).toEqual(d);
    for (const f of figures(d)) {
      expect(mdText, f).toContain(f);
      expect(html, f).toContain(f);
    }
    // the hand-computed values, as printed
    for (const s of [
      '3.33',
      '83.3%',
      '66.7%',
      '50.0%',
      '4.50',
      '1.50',
      '-0.25',
      '-1.00',
      '0.0030 CNY',
      '5★ 0 · 4★ 1 · 3★ 0 · 2★ 1 · 1★ 0',
    ]) {
      expect(mdText, s).toContain(s);
      expect(html, s).toContain(s);
    }
  });

  it('on SQLite, reading a product by table scan gives the same figures as reading it through the index', async () => {
    const k = db.store.knex;
    const labels = (await k('product_labels')
      .where('product_id', 'P1')
      .orderBy('id')
      .select('id', 'kind', 'name', 'name_zh')) as LabelRow[];
    const both = async (scan: boolean) => {
      const s = { productId: 'P1', from: null, to: null, scan };
      return [
        await overview(k, s),
        await dimensions(k, s, labels),
        await ranking(k, s, 'pain_point', 10),
        fiveW(await themeGroups(k, s), labels, 3),
      ];
    };
    expect(await both(true)).toEqual(await both(false));
  });

  it('the --since comparison reads the same in Markdown and HTML', async () => {
    const d = await buildReport(db.store, { productId: 'P1', since: '2024-02-01', until: '2024-02-29' });
    const mdText = renderMarkdown(d);
    const html = renderHtml(d);
    expect(mdText).toContain('| Average rating | 4.50 | 1.50 | -3.00 |');
    expect(mdText).toContain('| Pain points | 1 | 4 | +3 |');
    expect(mdText).toContain('2024-01-03 to 2024-01-31');
    for (const s of ['2024-01-03 to 2024-01-31', '2024-02-01 to 2024-02-29', '-3.00', '+3']) expect(html).toContain(s);
  });

  it('review text never reaches Markdown or HTML as markup', async () => {
    const d = await buildReport(db.store, { productId: 'P1' });
    const mdText = renderMarkdown(d);
    const html = renderHtml(d);
    expect(mdText).not.toMatch(/<script|<img|<b>/i);
    expect(mdText).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/<script|<img|<b>|onerror="/i);
    expect(html).toContain('&lt;script&gt;window.__pwned = 1; alert(1)&lt;/script&gt;');
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    );
    expect(html).toContain('name="viewport"');
    expect(html).toContain('@media print');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
  });

  it('a product without analysis says so in every format', async () => {
    const d = await buildReport(db.store, { productId: 'P2' });
    // the command to run reads as code, not as escaped backticks
    expect(renderMarkdown(d)).toContain(
      'No analysis yet for P2: no learned dimensions, insights or themes. Run `voc analyze P2` to create them.',
    );
    expect(renderHtml(d)).toContain('Run <code>voc analyze P2</code> to create them.');
    expect(JSON.parse(renderJson(d)).hasAnalysis).toBe(false);
    // a product id is the user's: it cannot close the code span or bring markup
    const odd = { ...d, notices: [`No analysis yet for P'<b>x: Run \`voc analyze P'<b>x\` to create them.`] };
    expect(renderMarkdown(odd)).toContain("No analysis yet for P'&lt;b&gt;x: Run `voc analyze P'<b>x` to create them.");
    expect(renderHtml(odd)).toContain('Run <code>voc analyze P&#39;&lt;b&gt;x</code> to create them.');
  });

  it('`voc report --out` writes the file and prints its path; --json prints a machine-readable result', async () => {
    const out = path.join(db.home, 'p1.html');
    const lines: string[] = [];
    const r = await runReportCommand({ product: 'P1', format: 'html', out }, { config: db.config, write: (t) => lines.push(t) });
    expect(lines).toEqual([`${out}\n`]);
    expect(r.path).toBe(out);
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);
    lines.length = 0;
    await runReportCommand({ product: 'P1', json: true }, { config: db.config, write: (t) => lines.push(t) });
    expect(JSON.parse(lines.join('')).overview.reviews).toBe(6);
    lines.length = 0;
    await runReportCommand({ all: true, format: 'md' }, { config: db.config, write: (t) => lines.push(t), interactive: true });
    expect(lines.join('')).toContain('| P1 |');
    expect(lines[lines.length - 1]).toMatch(/^\n2 products, 7 reviews/);
    await expect(runReportCommand({ product: 'NOPE' }, { config: db.config, write: () => {} })).rejects.toBeInstanceOf(VocError);
    await expect(runReportCommand({ product: 'P1', format: 'pdf' }, { config: db.config, write: () => {} })).rejects.toThrow(
      /md, json, html/,
    );
  });

  it('the report service builds on the reports lane and returns the content or the written path', async () => {
    const lanes: string[] = [];
    const ctx = {
      store: db.store,
      config: db.config,
      lanes: {
        submit: <T>(task: LaneTask<T>) => (lanes.push(task.lane), task.run({ pool: 'base', signal: new AbortController().signal })),
      },
    } as unknown as DaemonContext;
    const svc = createReportService(ctx);
    expect(svc.kinds).toEqual({ report: 'exclusive' });
    const a = await svc.runJob({ id: 1, kind: 'report', productId: 'P1', params: { format: 'json' } }, () => {});
    expect(JSON.parse(String(a.content)).product.id).toBe('P1');
    const out = path.join(db.home, 'p1.md');
    const b = await svc.runJob({ id: 2, kind: 'report', productId: 'P1', params: { format: 'md', out } }, () => {});
    expect(b.path).toBe(out);
    expect(readFileSync(out, 'utf8')).toContain('## Pain points');
    expect(lanes).toEqual(['reports', 'reports']);
  });
});

describe('simulated answers', () => {
  it('a report whose LLM calls came from the simulator says so in Markdown and HTML; a real one does not', async () => {
    const sim = await buildReport(db.store, { productId: 'P2' }, { currency: 'CNY' });
    expect(sim.cost.simulatedCalls).toBe(1);
    expect(renderMarkdown(sim)).toContain('**SIMULATED**');
    expect(renderHtml(sim)).toContain('<strong>SIMULATED</strong>');
    const real = await buildReport(db.store, { productId: 'P1' }, { currency: 'CNY' });
    expect(renderMarkdown(real)).not.toContain('SIMULATED');
    expect(renderHtml(real)).not.toContain('SIMULATED');
  });
});
