import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/databases.js';
import { insertReviews } from '../../src/store/insert.js';
import { runExport } from '../../src/commands/export.js';
import { exportToString } from '../helpers/export.js';
import { review } from './translate-fixtures.js';
import { loadReportFixture } from './report-fixture.js';

/**
 * The workbook is read back by a reader other than the one that wrote it: Debian's python3-openpyxl (installed by
 * .ci/run). It reports every cell with its type, so a formula, a date stored as text or a lost character shows.
 */
const PYTHON = '/usr/bin/python3';
const hasOpenpyxl = spawnSync(PYTHON, ['-c', 'import openpyxl'], { stdio: 'ignore' }).status === 0;
if (!hasOpenpyxl && process.env.CI) throw new Error('python3-openpyxl is required under CI to read the xlsx export back');
if (!hasOpenpyxl)
  console.warn(
    '[voc tests] /usr/bin/python3 with openpyxl not found: the xlsx read-back test is skipped (apt-get install python3-openpyxl)',
  );

const READ = String.raw`
import json, sys, zipfile, datetime, openpyxl
path = sys.argv[1]
wb = openpyxl.load_workbook(path)
out = {"sheets": wb.sheetnames}
def enc(c):
    v = c.value
    if isinstance(v, datetime.datetime): v = v.date().isoformat()
    return [v, c.data_type]
for ws in wb.worksheets:
    rows = [[enc(c) for c in row] for row in ws.iter_rows()]
    out[ws.title] = {
        "rows": rows,
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "widths": {k: v.width for k, v in ws.column_dimensions.items()},
        "wrap": {ws.cell(row=1, column=i + 1).value: bool(ws.cell(row=2, column=i + 1).alignment.wrap_text) for i in range(ws.max_column)} if ws.max_row > 1 else {},
        "numfmt": {ws.cell(row=1, column=i + 1).value: ws.cell(row=2, column=i + 1).number_format for i in range(ws.max_column)} if ws.max_row > 1 else {},
    }
with zipfile.ZipFile(path) as z:
    out["formulas"] = sum(z.read(n).count(b"<f>") + z.read(n).count(b"<f ") for n in z.namelist() if n.startswith("xl/worksheets/"))
json.dump(out, sys.stdout, ensure_ascii=False)
`;

interface SheetDump {
  rows: Array<Array<[string | number | boolean | null, string]>>;
  freeze: string | null;
  filter: string | null;
  widths: Record<string, number>;
  wrap: Record<string, boolean>;
  numfmt: Record<string, string>;
}
type Dump = { sheets: string[]; formulas: number } & Record<string, SheetDump>;

function readBack(file: string): Dump {
  const r = spawnSync(PYTHON, ['-c', READ, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`openpyxl could not read ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Dump;
}

/** A sheet as objects keyed by its header, with each cell's openpyxl type alongside. */
function records(s: SheetDump): Array<Record<string, { v: unknown; t: string }>> {
  const [head, ...body] = s.rows;
  return body.map((row) => Object.fromEntries(head.map(([h], i) => [String(h), { v: row[i][0], t: row[i][1] }])));
}

async function ndjson(db: TestDb, opts: Parameters<typeof runExport>[0]): Promise<Array<Record<string, unknown>>> {
  return (await exportToString(db, { ...opts, format: 'ndjson' }))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const FORMULA = '=HYPERLINK("http://x","y")';

describe.skipIf(!hasOpenpyxl)('voc export --format xlsx, read back with openpyxl', () => {
  let db: TestDb;
  let dir: string;
  beforeAll(async () => {
    db = await openTestDb('sqlite');
    dir = mkdtempSync(path.join(tmpdir(), 'voc-xlsx-'));
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      ...review(`Review ${i}: crunchy, "fresh" & <good>\nwould buy again 😀`, {
        id: `r${i}`,
        product: i % 2 ? 'A' : 'B',
        rating: 1 + (i % 5),
        title: i % 3 ? `Title ${i}` : null,
      }),
      reviewDate: i % 10 === 0 ? null : `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
    }));
    rows[7] = { ...rows[7], body: FORMULA, title: '+1 would buy' };
    rows[8] = { ...rows[8], body: '@SUM(A1:A9)', title: '-2 stars' };
    await insertReviews(db.store, rows);
    // every review translated, with text that needs more than Latin-1 and a line break
    await db.store.knex('reviews').update({
      tr_status: 'done',
      body_zh: db.store.knex.raw(`'第' || review_id || '条评论：很好吃，会再买\n下次试试别的口味'`),
      title_zh: '好吃',
    });
  }, 120_000);
  afterAll(async () => {
    await db?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes every one of 10,000 reviews with its Chinese, dates as dates and ratings as numbers', async () => {
    const file = path.join(dir, 'all.xlsx');
    expect(await runExport({ all: true, format: 'xlsx', out: file }, { config: db.config })).toBe(10_000);
    const dump = readBack(file);
    expect(dump.sheets).toEqual(['Reviews']);
    const sheet = dump.Reviews;
    const got = records(sheet);
    const want = await ndjson(db, { all: true });
    expect(got).toHaveLength(10_000);
    // every value comes back exactly as stored (openpyxl reads an empty cell as None)
    const plain = got.map((g) => Object.fromEntries(Object.keys(want[0]).map((f) => [f, g[f]?.v ?? null])));
    expect(plain).toEqual(want.map((w) => Object.fromEntries(Object.entries(w).map(([f, v]) => [f, v === '' ? null : v]))));
    expect(got[1].body_zh.v).toBe('第r1条评论：很好吃，会再买\n下次试试别的口味');
    expect(got[1].rating).toEqual({ v: 2, t: 'n' });
    expect(got[1].review_date).toEqual({ v: '2024-02-02', t: 'd' });
    expect(sheet.numfmt.review_date).toBe('yyyy-mm-dd');
    // a header that stays put, a filter over all rows, readable widths, wrapped long text
    expect(sheet.freeze).toBe('A2');
    expect(sheet.filter).toBe('A1:L10001');
    expect(sheet.widths.G).toBeGreaterThanOrEqual(40);
    expect(sheet.wrap).toMatchObject({ body: true, body_zh: true, review_id: false });
    expect(sheet.rows[0].map(([h]) => h)).toEqual([
      'review_id',
      'product_id',
      'rating',
      'review_date',
      'title',
      'title_zh',
      'body',
      'body_zh',
      'class',
      'translation_status',
      'translation_source',
      'language',
    ]);
  }, 120_000);

  it('writes a formula-looking review as a text cell, never as a formula', async () => {
    const file = path.join(dir, 'formula.xlsx');
    await runExport({ product: 'A', format: 'xlsx', out: file }, { config: db.config });
    const dump = readBack(file);
    expect(dump.formulas).toBe(0);
    const byId = new Map(records(dump.Reviews).map((r) => [r.review_id.v, r]));
    expect(byId.get('r7')!.body).toEqual({ v: FORMULA, t: 's' });
    expect(byId.get('r7')!.title).toEqual({ v: '+1 would buy', t: 's' });
    expect(records(dump.Reviews)).toHaveLength(5000);
  }, 60_000);

  it('with analysis done the workbook has Insights and Themes sheets a pivot table can use', async () => {
    const small = await openTestDb('sqlite');
    try {
      await loadReportFixture(small.store);
      const file = path.join(dir, 'p1.xlsx');
      await runExport({ product: 'P1', format: 'xlsx', out: file }, { config: small.config });
      const dump = readBack(file);
      expect(dump.sheets).toEqual(['Reviews', 'Insights', 'Themes']);
      const insights = records(dump.Insights);
      expect(insights).toHaveLength(10);
      expect(insights[0]).toMatchObject({
        dimension: { v: 'battery', t: 's' },
        dimension_zh: { v: '电池', t: 's' },
        summary_zh: { v: '电池续航长', t: 's' },
        rating: { v: 5, t: 'n' },
        review_date: { v: '2024-01-10', t: 'd' },
        month: { v: '2024-01', t: 's' },
      });
      expect(dump.Insights.freeze).toBe('A2');
      expect(dump.Insights.filter).toBe('A1:K11');
      const themes = records(dump.Themes);
      expect(themes.map((t) => t.label_zh.v)).toEqual(['父母', '通勤', '父母', null, '跑步者', null]);
    } finally {
      await small.cleanup();
    }
  }, 60_000);

  it('--since keeps the reviews dated on or after the day, like the report', async () => {
    const file = path.join(dir, 'since.xlsx');
    const n = await runExport({ all: true, since: '2024-12-01', format: 'xlsx', out: file }, { config: db.config });
    const got = records(readBack(file).Reviews);
    expect(got).toHaveLength(n);
    expect(n).toBeGreaterThan(0);
    expect(got.every((r) => String(r.review_date.v) >= '2024-12-01')).toBe(true);
    await expect(runExport({ all: true, since: '2024-13-01', format: 'xlsx', out: file }, { config: db.config })).rejects.toThrow(
      /--since must be a date/,
    );
    await expect(runExport({ all: true, format: 'xlsx' }, { config: db.config })).rejects.toThrow(/--out FILE/);
  }, 60_000);
});
