import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngest, type IngestOptions } from '../../src/commands/ingest.js';
import { storeSink, type IngestSink } from '../../src/ingest/sink.js';
import { openTestDb, type TestDb } from '../helpers/databases.js';
import { tempHome, testConfig } from '../helpers/home.js';
import type { Config } from '../../src/config/schema.js';
import type { InsertResult } from '../../src/store/reviews.js';
import { countReviews } from '../../src/store/reviews.js';

const FIX = path.resolve(__dirname, '..', 'fixtures', 'ingest');
const DATA = path.resolve(__dirname, '..', '..', '..', 'shared', 'data');
const fx = (name: string) => path.join(FIX, name);

function capture() {
  let text = '';
  return {
    write: (s: string) => (text += s),
    get text() {
      return text;
    },
  };
}

async function ingest(config: Config, sink: IngestSink, options: IngestOptions) {
  const stdout = capture();
  const stderr = capture();
  const summary = await runIngest(options, { config, sink, stdout, stderr, interactive: false });
  return { summary, stdout: stdout.text, stderr: stderr.text };
}

/** A sink that records chunks, for chunking and error tests that need no database. */
function fakeSink(fail = false) {
  const chunks: Array<{ file: string | null; rows: number; products: number }> = [];
  const sink: IngestSink = {
    async write(chunk) {
      if (fail) throw new Error('database went away');
      chunks.push({ file: chunk.file, rows: chunk.rows.length, products: chunk.products?.length ?? 0 });
      const res: InsertResult = { inserted: chunk.rows.length, duplicates: 0, conflicts: [], newProducts: [] };
      return res;
    },
    async close() {},
  };
  return { sink, chunks };
}

describe('runIngest on the store', () => {
  let db: TestDb;
  afterEach(async () => db && (await db.cleanup()));

  it('stores good rows, and a re-ingest of the same files inserts 0', async () => {
    db = await openTestDb('sqlite');
    const files = [fx('bom-crlf.csv'), fx('semicolon.csv'), fx('reviews-object.json'), fx('no-id.csv')];
    const sink = storeSink(db.config);
    try {
      const first = await ingest(db.config, sink, { files, json: true });
      expect(first.summary).toMatchObject({ files: 4, rows: 10, inserted: 9, duplicates: 1, rejected: 0, conflicts: 0 });
      expect(first.summary.learning).toMatchObject({ automatic: false, currency: 'CNY' });
      expect(JSON.parse(first.stdout)).toEqual(first.summary);
      const again = await ingest(db.config, sink, { files });
      expect(again.summary).toMatchObject({ rows: 10, inserted: 0, duplicates: 10 });
      expect(again.stdout).toMatch(/^ingested 4 files: 10 rows, 0 inserted, 10 duplicates, 0 rejected, 0 conflicts/);
    } finally {
      await sink.close();
    }
    expect(await countReviews(db.store)).toBe(9);
    const product = await db.store.knex('products').where({ id: 'B0META' }).first();
    expect(product.title).toBe('Thermal Mug');
  });

  it('reports a review id seen again with another body as a conflict and keeps the stored body', async () => {
    db = await openTestDb('sqlite');
    const sink = storeSink(db.config);
    const out = await ingest(db.config, sink, { files: [fx('conflicts.csv')] }).finally(() => sink.close());
    expect(out.summary).toMatchObject({ rows: 4, inserted: 2, duplicates: 1, conflicts: 1, rejected: 0 });
    expect(out.stderr).toContain(`${fx('conflicts.csv')}:5: review_id: conflict: review d1 is already stored with a different body`);
    const row = await db.store.knex('reviews').where({ review_id: 'd1' }).first();
    expect(row.body).toBe('original text');
  });

  it.skipIf(!existsSync(DATA))('ingests finefoods-dev.csv: 9,831 inserted, 0 rejected; again: 0 inserted', async () => {
    db = await openTestDb('sqlite');
    const sink = storeSink(db.config);
    try {
      const file = path.join(DATA, 'finefoods-dev.csv');
      expect((await ingest(db.config, sink, { files: [file] })).summary).toMatchObject({
        files: 1,
        rows: 9831,
        inserted: 9831,
        duplicates: 0,
        rejected: 0,
        conflicts: 0,
      });
      expect((await ingest(db.config, sink, { files: [file] })).summary).toMatchObject({ inserted: 0, duplicates: 9831 });
    } finally {
      await sink.close();
    }
  });
});

describe('runIngest reporting', () => {
  const h = tempHome('run');
  afterEach(() => {});
  const config = testConfig(h.home, { overrides: { 'ingest.chunkSize': 2 } });

  it('sends chunks of ingest.chunkSize rows, one file per chunk, with the product metadata', async () => {
    const { sink, chunks } = fakeSink();
    await ingest(config, sink, { files: [fx('bom-crlf.csv'), fx('reviews-object.json')] });
    expect(chunks).toEqual([
      { file: fx('bom-crlf.csv'), rows: 2, products: 0 },
      { file: fx('bom-crlf.csv'), rows: 1, products: 0 },
      { file: fx('reviews-object.json'), rows: 2, products: 1 },
    ]);
  });

  it('keeps a row whose review_date is not a date, without the date, and names it like a reject', async () => {
    const file = path.join(h.home, 'dates.csv');
    writeFileSync(
      file,
      'review_id,product_id,rating,body,review_date\nd1,P,5,fine,03/15/2024\nd2,P,4,ok,last week\nd3,P,3,meh,2024-02-30\n',
    );
    const rejects = path.join(h.home, 'date-warnings.ndjson');
    const rows: Array<string | null | undefined> = [];
    const sink: IngestSink = {
      async write(chunk) {
        rows.push(...chunk.rows.map((r) => r.reviewDate));
        return { inserted: chunk.rows.length, duplicates: 0, conflicts: [], newProducts: [] };
      },
      async close() {},
    };
    const out = await ingest(config, sink, { files: [file], rejects });
    expect(out.summary).toMatchObject({ rows: 3, inserted: 3, rejected: 0, warnings: 2 });
    expect(rows).toEqual(['2024-03-15', null, null]);
    expect(out.stderr).toContain(`${file}:3: review_date: not a date voc can read: "last week"; the review is kept without a date`);
    expect(out.stderr).toContain(`${file}:4: review_date: not a date voc can read: "2024-02-30"`);
    expect(out.stdout).toMatch(/3 inserted, 0 duplicates, 0 rejected, 0 conflicts, 2 warnings/);
    const written = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(written.map((w) => [w.kind, w.line, w.field])).toEqual([
      ['warning', 3, 'review_date'],
      ['warning', 4, 'review_date'],
    ]);
  });

  it('a file that breaks off is counted as cut short, not as a rejected row; its rows before the break are kept', async () => {
    const { sink, chunks } = fakeSink();
    const out = await ingest(config, sink, { files: [fx('cut-off.json')] });
    const kept = chunks.reduce((n, c) => n + c.rows, 0);
    expect(kept).toBeGreaterThan(0);
    expect(out.summary).toMatchObject({ rows: kept, inserted: kept, rejected: 0, truncated: 1 });
    expect(out.stderr).toMatch(new RegExp(`^${fx('cut-off.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: \\(file\\): `, 'm'));
    expect(out.stderr).toContain(
      `${fx('cut-off.json')}: ${kept} rows, ${kept} inserted, 0 duplicates, 0 rejected, 0 conflicts, cut short at line 4`,
    );
  });

  it('prints the first 10 rejects as file:line: field: reason and writes all of them with --rejects', async () => {
    const lines = ['review_id,product_id,rating,body', ...Array.from({ length: 12 }, (_, i) => `b${i},P,${i === 5 ? 3 : 9},body ${i}`)];
    const file = path.join(h.home, 'many-bad.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    const rejects = path.join(h.home, 'rejects.ndjson');
    const { sink } = fakeSink();
    const out = await ingest(config, sink, { files: [file, fx('validation.csv')], rejects });
    expect(out.summary).toMatchObject({ files: 2, rows: 23, inserted: 3, rejected: 20 });
    const shown = out.stderr.split('\n').filter((l) => l.startsWith(file) && /:\d+: /.test(l));
    expect(shown).toHaveLength(10);
    expect(shown[0]).toBe(`${file}:2: rating: out of range 1-5: 9`);
    expect(out.stderr).toContain('... and 10 more rejected rows (all in');
    const all = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(all).toHaveLength(20);
    expect(all.filter((r) => r.file === fx('validation.csv')).map((r) => [r.line, r.field])).toEqual([
      [4, 'rating'],
      [5, 'rating'],
      [6, 'rating'],
      [7, 'rating'],
      [8, 'body'],
      [9, 'product_id'],
      [10, 'rating'],
      [11, 'body'],
      [12, '(row)'],
    ]);
    // each with the row as read, so it can be fixed and ingested again
    const v = all.filter((r) => r.file === fx('validation.csv'));
    expect(v[0].row).toEqual({ review_id: 'v3', product_id: 'P6', rating: '4.5', body: 'four and a half' });
    expect(Array.isArray(v.at(-1).row)).toBe(true); // a row with the wrong number of fields: its fields as read
  });

  it('names an unreadable file, reads the files after it, prints the summary, then fails (exit 1)', async () => {
    const { sink, chunks } = fakeSink();
    const stdout = capture();
    const stderr = capture();
    const files = [fx('semicolon.csv'), fx('no-body.csv'), path.join(FIX, 'missing.csv'), fx('bom-crlf.csv')];
    const run = runIngest({ files, json: true }, { config, sink, stdout, stderr, interactive: false });
    await expect(run).rejects.toMatchObject({
      code: 'INGEST_UNREADABLE',
      exitCode: 1,
      message: `2 of 4 files could not be read: ${fx('no-body.csv')}, ${path.join(FIX, 'missing.csv')}`,
    });
    expect([...new Set(chunks.map((c) => c.file))]).toEqual([fx('semicolon.csv'), fx('bom-crlf.csv')]);
    const summary = JSON.parse(stdout.text);
    const rows = chunks.reduce((n, c) => n + c.rows, 0);
    expect(rows).toBeGreaterThan(2);
    expect(summary).toMatchObject({ files: 2, rows, inserted: rows });
    expect(summary.unreadable).toEqual([
      { file: fx('no-body.csv'), reason: expect.stringMatching(/^no body column/) },
      { file: path.join(FIX, 'missing.csv'), reason: 'cannot open: no such file (ENOENT)' },
    ]);
    expect(stderr.text).toContain(`${fx('no-body.csv')}: no body column`);
    expect(stderr.text).toContain(`${path.join(FIX, 'missing.csv')}: cannot open: no such file (ENOENT): skipped`);
  });

  it('fails at once with the one-line error when the only file cannot be read', async () => {
    const { sink, chunks } = fakeSink();
    await expect(ingest(config, sink, { files: [fx('no-body.csv')] })).rejects.toMatchObject({
      code: 'INGEST_UNREADABLE',
      message: expect.stringMatching(/no-body\.csv: no body column/),
    });
    expect(chunks).toEqual([]);
  });

  it('fails with the sink error, never with an unhandled rejection', async () => {
    const { sink } = fakeSink(true);
    await expect(ingest(config, sink, { files: [fx('bom-crlf.csv')] })).rejects.toThrow('database went away');
  });

  it('refuses an unknown --format or --map field', async () => {
    const { sink } = fakeSink();
    await expect(ingest(config, sink, { files: ['-'], format: 'xml' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(ingest(config, sink, { files: ['-'], map: ['colour=x'] })).rejects.toMatchObject({ code: 'USAGE' });
  });
});
