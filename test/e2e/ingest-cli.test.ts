import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { vocSync } from '../helpers/cli.js';

const ROOT = path.resolve(__dirname, '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'ingest');
const fx = (name: string) => path.join(FIX, name);
const home = tempHome('ing');

/** `voc ingest` as a user runs it: the built CLI in a child process, stdout a pipe, a throw-away VOC_HOME (SQLite). */
function voc(args: string[], input?: string | Buffer) {
  return vocSync(home.home, ['ingest', ...args], { input });
}

afterAll(() => {
  vocSync(home.home, ['daemon', 'stop']); // the first ingest started it
  home.cleanup();
});

describe('voc ingest (subprocess)', () => {
  it('prints exactly the --json summary, exits 0 with rejects, and a re-ingest inserts 0', async () => {
    const first = voc(['--json', fx('bom-crlf.csv'), fx('validation.csv')]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ files: 2, rows: 14, inserted: 5, duplicates: 0, rejected: 9, conflicts: 0 });
    expect(first.stdout.trim().split('\n')).toHaveLength(1);
    expect(first.stderr).toContain(`${fx('validation.csv')}:4: rating: not a whole number 1-5`);
    expect(first.stderr).not.toMatch(/\x1b\[/); // no bar, no colour on a pipe
    const again = voc(['--json', fx('bom-crlf.csv'), fx('validation.csv')]);
    expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, duplicates: 5, rejected: 9 });
  });

  it('writes every reject to --rejects and exits 1 under --strict', async () => {
    const rejects = path.join(home.home, 'rejects.ndjson');
    const r = voc(['--strict', '--rejects', rejects, fx('validation.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/9 rejected rows .*--strict/);
    expect(r.stdout).toMatch(/^ingested 1 file: 11 rows, 0 inserted, 2 duplicates, 9 rejected, 0 conflicts/);
    const lines = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(9);
    expect(lines[0]).toEqual({
      kind: 'reject',
      file: fx('validation.csv'),
      line: 4,
      field: 'rating',
      reason: 'not a whole number 1-5: "4.5"',
      row: { review_id: 'v3', product_id: 'P6', rating: '4.5', body: 'four and a half' },
    });
  });

  it('cuts chunks by size too: a file of long reviews larger than the socket takes is ingested whole', async () => {
    // 1,000 rows of 50,000 characters (the default chunk) are 50 MB, over the daemon's 16 MB request limit
    const big = tempHome('ingbig');
    try {
      const file = path.join(big.home, 'long.csv');
      const body = (i: number) => `sturdy strap, fair price, review ${i}. `.repeat(1400).slice(0, 50_000);
      writeFileSync(
        file,
        ['review_id,product_id,rating,body', ...Array.from({ length: 400 }, (_, i) => `${i},P1,4,"${body(i)}"`)].join('\n'),
      );
      const r = vocSync(big.home, ['ingest', '--json', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ rows: 400, inserted: 400, rejected: 0 });
    } finally {
      vocSync(big.home, ['daemon', 'stop']);
      big.cleanup();
    }
  });

  it('exits 1 with the reason for a file that cannot be read', async () => {
    const r = voc([fx('no-body.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-body\.csv: no body column/);
    expect(r.stderr).toMatch(/hint: name it with --map body=COLUMN/);
    const empty = path.join(home.home, 'empty.csv');
    writeFileSync(empty, '');
    expect(voc([empty]).stderr).toMatch(/is empty/);
  });

  it('--direct writes through its writer thread: rows, duplicates, conflicts, rejects and product metadata as through the daemon', async () => {
    const direct = tempHome('ingdirect');
    try {
      const files = [fx('conflicts.csv'), fx('validation.csv'), fx('reviews-object.json')];
      const run = () => vocSync(direct.home, ['ingest', '--direct', '--json', ...files]);
      const first = run();
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ files: 3, rows: 17, inserted: 6, duplicates: 1, rejected: 9, conflicts: 1 });
      expect(first.stderr).toContain(`${fx('conflicts.csv')}:5: review_id: conflict`);
      expect(first.stderr).toContain(`${fx('validation.csv')}:4: rating: not a whole number 1-5`);
      const again = run();
      expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, duplicates: 7, rejected: 9, conflicts: 1 });
      // no daemon was started, and the store holds what the summary said, with the JSON file's product title
      expect(vocSync(direct.home, ['daemon', 'status']).code).toBe(2);
      const exported = vocSync(direct.home, ['export', '--all', '--format', 'ndjson']);
      expect(exported.stdout.trim().split('\n')).toHaveLength(6);
      const report = vocSync(direct.home, ['report', 'B0META', '--format', 'json']);
      const product = JSON.parse(report.stdout);
      expect(product.product).toMatchObject({ id: 'B0META', title: 'Thermal Mug' });
      expect(product.overview.reviews).toBe(2);
    } finally {
      direct.cleanup();
    }
  });

  it('--direct: a store its writer thread cannot open is a one-line error (exit 1), and the command ends', async () => {
    const file = path.join(home.home, 'not-a-dir');
    writeFileSync(file, 'x');
    const r = vocSync(path.join(file, 'home'), ['ingest', '--direct', fx('conflicts.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `voc: cannot use ${path.join(file, 'home')} as the voc home: a file stands where a directory should be (ENOTDIR)`,
    );
    expect(r.stderr).not.toMatch(/internal error| {4}at /);
  });

  it('reads NDJSON from standard input and reports the broken lines', async () => {
    const r = voc(['-', '--json'], readFileSync(fx('broken-middle.ndjson')));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 1, rows: 6, inserted: 4, rejected: 2 });
    expect(r.stderr).toContain('stdin:3: (line): not valid JSON');
  });

  it('reads a gzipped UTF-16 file and reports a conflicting id', async () => {
    const csv = 'review_id,product_id,rating,body\nw1,PZ,5,很好用\nw2,PZ,4,还可以\nw1,PZ,5,另一个内容\n';
    const f = path.join(home.home, 'export.csv.gz');
    writeFileSync(f, gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(csv, 'utf16le')])));
    const r = voc(['--json', f]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      files: 1,
      rows: 3,
      inserted: 2,
      duplicates: 0,
      rejected: 0,
      conflicts: 1,
      newProducts: 1,
      learning: { automatic: false, calls: 0 },
    });
    expect(r.stderr).toMatch(/export\.csv\.gz:4: review_id: conflict/);
  });
});
