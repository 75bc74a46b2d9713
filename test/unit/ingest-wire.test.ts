import { describe, expect, it } from 'vitest';
import type { NewReview } from '../../src/store/reviews.js';
import { fromWireRows, toWireRows, WIRE_FIELDS } from '../../src/ingest/wire.js';

const row = (i: number, extra: Partial<NewReview> = {}): NewReview => ({
  sourceKey: `default|${i}`,
  reviewId: String(i),
  productId: 'P1',
  marketplace: null,
  rating: 1 + (i % 5),
  title: i % 2 ? null : `title ${i}`,
  body: `body "${i}"\twith\nnewlines and ünïcode 中文 😀`,
  bodyHash: 'h'.repeat(64),
  reviewDate: null,
  author: 'a',
  language: 'en',
  class: 'short',
  bodyLen: 40,
  line: i + 1,
  ...extra,
});

describe('compact chunk rows', () => {
  it('come back through JSON as the reviews that were sent, nulls included', () => {
    const rows = [row(1), row(2), row(3, { reviewId: null, line: undefined })];
    const sent = JSON.parse(JSON.stringify({ fields: WIRE_FIELDS, rows: toWireRows(rows) }));
    const back = fromWireRows(sent.fields, sent.rows);
    expect(back.slice(0, 2)).toEqual(rows.slice(0, 2));
    expect(back[2]).toEqual({ ...rows[2], line: null });
  });

  it('are read by the field names the sender gives, in its order', () => {
    expect(fromWireRows(['body', 'rating'], [['x', 5], 'not a row' as never])).toEqual([{ body: 'x', rating: 5 }, {}]);
  });
});
