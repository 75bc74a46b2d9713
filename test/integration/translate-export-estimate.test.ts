import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { insertReviews } from '../../src/store/insert.js';
import { runExport } from '../../src/commands/export.js';
import { exportToString } from '../helpers/export.js';
import { runEstimate } from '../../src/commands/estimate.js';
import { EXPORT_FIELDS } from '../../src/translate/export.js';
import { review, seedExample } from './translate-fixtures.js';

describe.each(DATABASES)('voc export on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.cleanup());

  async function seed() {
    db = await openTestDb(kind);
    await insertReviews(db.store, [
      review('Tasty, "crunchy", fresh\nwould buy', { title: 'Yum, really', product: 'A', id: 'a1' }),
      review('Too salty', { product: 'A', id: 'a2' }),
      review('Meh', { product: 'B', id: 'b1' }),
    ]);
    const ids = (await db.store.knex('reviews').select('id').orderBy('id')).map((r: { id: number }) => r.id);
    await db.store.knex('reviews').where('id', ids[0]).update({ tr_status: 'done', body_zh: '好吃，"脆"', title_zh: '好吃' });
    await db.store
      .knex('reviews')
      .where('id', ids[1])
      .update({ tr_status: 'in_progress', tr_owner: 'x', tr_lease: Date.now() + 1000 });
  }

  it('csv has the documented header, quotes awkward fields, and shows a claimed review as pending', async () => {
    await seed();
    const text = await exportToString(db, { product: 'A', format: 'csv' });
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0])).toEqual([...EXPORT_FIELDS]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      review_id: 'a1',
      product_id: 'A',
      rating: '3',
      title: 'Yum, really',
      body: 'Tasty, "crunchy", fresh\nwould buy',
      body_zh: '好吃，"脆"',
      translation_status: 'done',
      class: 'short',
    });
    expect(rows[1]).toMatchObject({ review_id: 'a2', translation_status: 'pending', body_zh: '' });
  });

  it('ndjson and json carry the same rows; --all exports every product; a file is written with --out', async () => {
    await seed();
    const nd = (await exportToString(db, { all: true, format: 'ndjson' }))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const js = JSON.parse(await exportToString(db, { all: true, format: 'json' }));
    expect(nd).toHaveLength(3);
    expect(js).toEqual(nd);
    expect(nd[2]).toMatchObject({ review_id: 'b1', product_id: 'B', rating: 3, translation_status: 'pending', title: null });
    const dir = mkdtempSync(path.join(tmpdir(), 'voc-exp-'));
    try {
      const file = path.join(dir, 'out.json');
      expect(await runExport({ product: 'B', format: 'json', out: file }, { config: db.config })).toBe(1);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(1);
      await expect(exportToString(db, { product: 'nothing', format: 'json' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pages through more rows than one page holds', async () => {
    db = await openTestDb(kind);
    await insertReviews(
      db.store,
      Array.from({ length: 2500 }, (_, i) => review(`body ${i}`, { id: `p${i}` })),
    );
    const nd = (await exportToString(db, { all: true, format: 'ndjson' })).trim().split('\n');
    expect(nd).toHaveLength(2500);
    expect(new Set(nd.map((l) => JSON.parse(l).review_id)).size).toBe(2500);
  });

  it('refuses an unknown format, a missing scope and a product the store does not hold', async () => {
    db = await openTestDb(kind);
    await expect(runExport({ all: true, format: 'xml' }, { config: db.config })).rejects.toThrow(/--format/);
    await expect(runExport({ format: 'csv' }, { config: db.config })).rejects.toThrow(/--product ID or --all/);
    await expect(runExport({ format: 'csv', product: 'NOPE' }, { config: db.config })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'no product NOPE in the store',
    });
  });
});

describe('voc estimate', () => {
  it("projects the seed's example to 19 calls (seed), 100 single, 10 fixed, fewer with tokens, and counts duplicates", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'voc-est-'));
    try {
      const db = await openTestDb('sqlite');
      const rows = seedExample();
      const csv = [
        'review_id,product_id,rating,body',
        ...rows.map((r, i) => `${i},P1,${r.rating},"${r.body}"`),
        '900,P1,5,"这个很好吃"',
        `901,P1,3,"${rows[50].body}"`,
      ].join('\n');
      const file = path.join(dir, 'dump.csv');
      writeFileSync(file, csv);
      const out: string[] = [];
      const res = await runEstimate({ files: [file], json: true }, { config: db.config, stdout: { write: (s: string) => out.push(s) } });
      expect(res).toMatchObject({
        reviews: 102,
        classes: { vip: 10, standard: 30, short: 62 },
        texts: 100,
        duplicates: 1,
        noCall: 1,
        currency: 'CNY',
      });
      expect(res.profiles.seed.calls).toBe(19);
      expect(res.profiles.single.calls).toBe(100);
      expect(res.profiles.fixed10.calls).toBe(10);
      expect(res.profiles.tokens.calls).toBeLessThan(19);
      expect(res.profiles.seed.cost).toBeGreaterThan(0);
      // the Batch API at half the realtime price by default
      expect(res.profiles.seed.batchCost).toBeCloseTo(res.profiles.seed.cost! / 2, 3);
      expect(out.join('')).toBe(JSON.stringify(res, null, 2) + '\n');
      expect(res.profiles.seed.minutes).toBeCloseTo(19 / 25 / 60, 2);
      // analysis, if asked for: one learning call for the product, keyed batches of 1/3/10 by class for each lane
      expect(res.analysis).toMatchObject({ products: 1, learn: { calls: 1 }, insights: { calls: 10 + 10 + 7 }, themes: { calls: 27 } });
      expect(res.analysis.insights.cost).toBeGreaterThan(res.analysis.themes.cost!);
      expect(JSON.parse(out.join(''))).toMatchObject({ reviews: 102 });
      // nothing was stored
      expect(Number((await db.store.knex('reviews').count({ n: '*' }).first())!.n)).toBe(0);
      await db.cleanup();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
