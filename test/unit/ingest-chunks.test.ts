import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { JsonScanner } from '../../src/ingest/json.js';
import { guessFormat, readReviews } from '../../src/ingest/index.js';
import type { RawItem } from '../../src/ingest/types.js';

const config = loadConfig({ env: { VOC_HOME: tmpdir() } });

/** Split text into pieces of 1..max characters, deterministically, so every boundary position gets exercised. */
function pieces(text: string, max: number, seed = 7): string[] {
  const out: string[] = [];
  let x = seed;
  for (let i = 0; i < text.length;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const n = 1 + (x % max);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

const DOC = {
  product: { asin: 'B0X', title: 'Kettle "Pro"', bullet_points: ['1.7 L', 'auto off\\on'] },
  count: 3,
  ok: true,
  note: null,
  reviews: [
    { id: 'a', rating: 5, body: 'quote " and backslash \\ and brace } and bracket ]', tags: [1, [2, { x: -3.5e2 }]] },
    { id: 'b', rating: 4, body: 'unicode \u00e9 \ud83d\ude00 escaped \\u0041', empty: '' },
    { id: 'c', rating: 3, body: 'last', extra: false },
  ],
};

describe('chunk boundaries', () => {
  it.each([1, 2, 3, 7, 64])('the JSON scanner gives the same reviews whatever the chunk size (max %i)', (max) => {
    const text = JSON.stringify(DOC, null, 2);
    const scanner = new JsonScanner('doc.json', 1 << 20);
    const items: RawItem[] = [];
    for (const p of pieces(text, max)) items.push(...scanner.push(p));
    items.push(...scanner.end());
    const records = items.filter((i) => i.kind === 'record').map((i) => (i as { record: unknown }).record);
    expect(records).toEqual(DOC.reviews);
    expect(items.filter((i) => i.kind === 'product')).toEqual([
      { kind: 'product', product: { id: 'B0X', title: 'Kettle "Pro"', bulletPoints: ['1.7 L', 'auto off\\on'] } },
    ]);
  });

  it('CSV over stdin in tiny chunks keeps CRLF folding, quotes and line numbers right', async () => {
    const csv = 'review_id,product_id,rating,body\r\n1,P,5,"a\r\nb"\r\n2,P,4,"say ""hi"""\r\n\r\n3,P,3,plain\r\n';
    for (const max of [1, 2, 5]) {
      const stdin = Readable.from(pieces(csv, max).map((s) => Buffer.from(s)));
      const got: Array<[string | null, number | undefined, string]> = [];
      for await (const item of readReviews('-', { config, stdin }))
        if (item.kind === 'review') got.push([item.review.reviewId, item.review.line, item.review.body]);
      expect(got).toEqual([
        ['1', 2, 'a\nb'],
        ['2', 4, 'say "hi"'],
        ['3', 6, 'plain'],
      ]);
    }
  });

  it('NDJSON split anywhere, with a multi-byte character cut between chunks', async () => {
    const text = '{"id":"1","asin":"P","rating":5,"body":"très bien 😀"}\n{"id":"2","asin":"P","rating":4,"body":"ok"}\n';
    const bytes = Buffer.from(text);
    const stdin = Readable.from(Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)));
    const bodies: string[] = [];
    for await (const item of readReviews('-', { config, stdin })) if (item.kind === 'review') bodies.push(item.review.body);
    expect(bodies).toEqual(['très bien 😀', 'ok']);
  });
});

describe('guessFormat', () => {
  it.each([
    ['a.csv', '[not json', 'csv'],
    ['a.tsv.gz', '', 'csv'],
    ['a.jsonl', '', 'ndjson'],
    ['-', '[{"a":1}]', 'json'],
    ['-', '{"a":1}\n{"a":2}', 'ndjson'],
    ['-', '{"reviews":[{"a":1}]}', 'json'],
    ['-', '{\n  "reviews": []\n}', 'json'],
    ['-', 'id,body\n1,x', 'csv'],
    ['export.json', '{"id":1}\n{"id":2}\n', 'ndjson'],
  ])('%s starting %j is %s', (source, head, want) => {
    expect(guessFormat(source, head)).toBe(want);
  });
});
