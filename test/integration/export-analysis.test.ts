import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { runExport } from '../../src/commands/export.js';
import { exportToString } from '../helpers/export.js';
import { INSIGHT_FIELDS, THEME_FIELDS } from '../../src/analysis/export.js';
import { loadReportFixture } from './report-fixture.js';

const FORMULA = '=HYPERLINK("http://x","y")';

describe.each(DATABASES)('voc export for spreadsheets on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.cleanup());

  async function seed() {
    db = await openTestDb(kind);
    await loadReportFixture(db.store);
    // review 4 of P1 (rating 5, undated) gets text a spreadsheet would run
    const id = (await db.store.knex('reviews').where({ product_id: 'P1', review_id: '5' }).first('id')).id;
    await db.store
      .knex('reviews')
      .where('id', id)
      .update({ body: FORMULA, title: '@SUM(1)', body_zh: '-2 分', title_zh: '+好', tr_status: 'done' });
  }

  it('CSV neutralises cells that start like a formula, keeps them with --raw, and adds the BOM with --bom', async () => {
    await seed();
    const safe = parse(await exportToString(db, { product: 'P1' }), { columns: true }) as Array<Record<string, string>>;
    const row = safe.find((r) => r.review_id === '5')!;
    expect(row).toMatchObject({ body: `'${FORMULA}`, title: "'@SUM(1)", body_zh: "'-2 分", title_zh: "'+好", rating: '5' });
    // ordinary text is untouched
    expect(safe.find((r) => r.review_id === '0')!.body).toBe('Great battery');

    const raw = parse(await exportToString(db, { product: 'P1', raw: true }), { columns: true }) as Array<Record<string, string>>;
    expect(raw.find((r) => r.review_id === '5')).toMatchObject({ body: FORMULA, title: '@SUM(1)' });

    const bom = await exportToString(db, { product: 'P1', bom: true });
    expect(bom.startsWith('\uFEFFreview_id,')).toBe(true);
    expect((await exportToString(db, { product: 'P1' })).startsWith('review_id,')).toBe(true);
    // NDJSON carries the text as stored: it is data, not a sheet
    const nd = (await exportToString(db, { product: 'P1', format: 'ndjson' }))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(nd.find((r) => r.review_id === '5').body).toBe(FORMULA);
    await expect(runExport({ product: 'P1', format: 'json', bom: true }, { config: db.config })).rejects.toThrow(
      /--bom applies to CSV only/,
    );
  });

  it('--insights gives one row per insight with its review, rating, month and the dimension in Chinese', async () => {
    await seed();
    const rows = parse(await exportToString(db, { product: 'P1', insights: true, bom: true }), { columns: true, bom: true }) as Array<
      Record<string, string>
    >;
    expect(Object.keys(rows[0])).toEqual([...INSIGHT_FIELDS]);
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual({
      review_id: '0',
      product_id: 'P1',
      rating: '5',
      review_date: '2024-01-10',
      month: '2024-01',
      dimension: 'battery',
      dimension_zh: '电池',
      type: 'praise',
      sentiment: 'positive',
      quote: 'The battery lasts for days and days',
      summary_zh: '电池续航长',
    });
    // a dimension the product never learned has no Chinese name; an empty summary stays empty
    expect(rows[9]).toMatchObject({ review_id: '3', dimension: 'noise', dimension_zh: '', summary_zh: '' });
    // --since filters on the review's date, like the report
    const since = (await exportToString(db, { product: 'P1', insights: true, since: '2024-02-01', format: 'ndjson' }))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(since.map((r) => r.review_id)).toEqual(['2', '2', '3', '3', '3', '3']);
    expect(since[0]).toMatchObject({ rating: 1, month: '2024-02', dimension_zh: '电池' });
    const json = JSON.parse(await exportToString(db, { all: true, insights: true, format: 'json' }));
    expect(json).toHaveLength(10);
  });

  it('--themes gives one row per 5W tag with its learned label, Chinese included', async () => {
    await seed();
    const rows = JSON.parse(await exportToString(db, { all: true, themes: true, format: 'json' })) as Array<Record<string, unknown>>;
    expect(Object.keys(rows[0])).toEqual([...THEME_FIELDS]);
    expect(rows).toHaveLength(6);
    expect(rows[0]).toEqual({
      review_id: '0',
      product_id: 'P1',
      rating: 5,
      review_date: '2024-01-10',
      month: '2024-01',
      w: 'who',
      tag: 'parents',
      label: 'parents',
      label_zh: '父母',
    });
    expect(rows[3]).toMatchObject({ review_id: '1', w: 'what', tag: 'gym', label: null, label_zh: null });
    const csv = parse(await exportToString(db, { product: 'P2', themes: true }), { columns: true });
    expect(csv).toEqual([]);
    await expect(runExport({ all: true, themes: true, insights: true }, { config: db.config })).rejects.toThrow(
      /either --insights or --themes/,
    );
  });

  it('an xlsx of analysis is written with --insights and the full workbook only has sheets with rows', async () => {
    await seed();
    const dir = mkdtempSync(path.join(tmpdir(), 'voc-xlsx-'));
    try {
      const file = path.join(dir, 'p1.xlsx');
      expect(await runExport({ product: 'P1', format: 'xlsx', out: file, insights: true }, { config: db.config })).toBe(10);
      // a zip (PK) holding one sheet; the sheet names are read back in the openpyxl test
      const bytes = readFileSync(file);
      expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
      expect(bytes.includes(Buffer.from('xl/worksheets/sheet1.xml'))).toBe(true);
      expect(bytes.includes(Buffer.from('xl/worksheets/sheet2.xml'))).toBe(false);
      expect(await runExport({ product: 'P1', format: 'xlsx', out: file }, { config: db.config })).toBe(6);
      expect(readFileSync(file).includes(Buffer.from('xl/worksheets/sheet3.xml'))).toBe(true);
      expect(await runExport({ product: 'P2', format: 'xlsx', out: file }, { config: db.config })).toBe(1);
      expect(readFileSync(file).includes(Buffer.from('xl/worksheets/sheet2.xml'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
