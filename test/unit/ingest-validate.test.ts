import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { toReview } from '../../src/ingest/validate.js';
import { parseMapping, resolveColumns } from '../../src/ingest/columns.js';
import { sha256 } from '../../src/text.js';

const config = loadConfig({ env: { VOC_HOME: tmpdir() }, overrides: { 'ingest.maxFieldLength': 50 } });
const ctx = { config, file: 'f.csv', line: 7 };
const base = { review_id: 'R1', product_id: 'P1', rating: '5', body: 'Good value for the money' };

describe('toReview', () => {
  it.each([
    ['5', 5],
    ['5.0', 5],
    [' 3 ', 3],
    [1, 1],
    [4.0, 4],
  ])('accepts rating %j as %d', (rating, want) => {
    const r = toReview({ ...base, rating }, ctx);
    expect(r.ok && r.review.rating).toBe(want);
  });

  it.each([
    ['4.5', /not a whole number/],
    [4.5, /not a whole number/],
    ['0', /out of range/],
    ['6', /out of range/],
    ['five', /not a whole number/],
    ['', /required/],
    [null, /required/],
  ])('rejects rating %j', (rating, reason) => {
    const r = toReview({ ...base, rating }, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe('rating');
      expect(r.reason).toMatch(reason);
    }
  });

  it.each([
    [{ ...base, body: '' }, 'body', /empty/],
    [{ ...base, body: '   ' }, 'body', /empty/],
    [{ review_id: 'R', product_id: 'P', rating: 5 }, 'body', /no body column/],
    [{ ...base, product_id: '' }, 'product_id', /empty/],
    [{ review_id: 'R', rating: 5, body: 'b' }, 'product_id', /no product column/],
    [{ ...base, body: 'x'.repeat(51) }, 'body', /longer than 50 characters \(51\)/],
    [{ ...base, title: 't'.repeat(60) }, 'title', /longer than 50/],
    [{ ...base, extra_column: 'e'.repeat(60) }, 'extra_column', /longer than 50/],
    [{ ...base, body: { nested: true } }, 'body', /expected text/],
  ])('rejects %j on %s', (record, field, reason) => {
    const r = toReview(record as Record<string, unknown>, ctx);
    expect(r).toMatchObject({ ok: false, field });
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('counts length in code points: 50 emoji fit a 50-character limit', () => {
    expect(toReview({ ...base, body: '😀'.repeat(50) }, ctx).ok).toBe(true);
  });

  it('builds the source key from marketplace and id, or product and body hash without an id', () => {
    const withId = toReview({ ...base, marketplace: 'amazon.de' }, ctx);
    expect(withId.ok && withId.review.sourceKey).toBe('amazon.de|R1');
    const noMarket = toReview(base, ctx);
    expect(noMarket.ok && noMarket.review.sourceKey).toBe('default|R1');
    const noId = toReview({ product_id: 'P1', rating: 5, body: ' Good ' }, ctx);
    expect(noId.ok && noId.review).toMatchObject({
      sourceKey: `p:P1|${sha256('Good')}`,
      reviewId: null,
      body: 'Good',
      bodyHash: sha256('Good'),
    });
  });

  it('fills class, body length, language and line', () => {
    const r = toReview({ ...base, body: 'Très bon produit, et pas cher' }, ctx);
    expect(r.ok && r.review).toMatchObject({ class: 'short', bodyLen: 29, language: 'fr', line: 7 });
    const given = toReview({ ...base, language: 'es' }, ctx);
    expect(given.ok && given.review.language).toBe('es');
  });

  it('uses --product only when the row has no product', () => {
    const filled = toReview({ rating: 4, body: 'b' }, { ...ctx, product: 'ASIN1' });
    expect(filled.ok && filled.review.productId).toBe('ASIN1');
    const own = toReview(base, { ...ctx, product: 'ASIN1' });
    expect(own.ok && own.review.productId).toBe('P1');
  });

  it('turns Unix seconds in a Time column into an ISO date', () => {
    const t = toReview({ Id: '9', ProductId: 'B0', Score: '4', Text: 'ok', Time: '1303862400' }, ctx);
    expect(t.ok && t.review).toMatchObject({ reviewId: '9', productId: 'B0', rating: 4, reviewDate: '2011-04-27' });
  });

  // reports group by substr(review_date, 1, 7) and compare --since as text: every stored date is YYYY-MM-DD
  it.each([
    ['2024-03-15', '2024-03-15'],
    ['2024-03-15T22:10:00Z', '2024-03-15'],
    ['2024-03-15 08:00:00', '2024-03-15'],
    ['2024/3/5', '2024-03-05'],
    ['2024.03.15', '2024-03-15'],
    ['2024年3月15日', '2024-03-15'],
    ['2024年3月15日に日本でレビュー済み', '2024-03-15'], // Amazon.co.jp
    ['2024. 3. 15.', '2024-03-15'],
    ['15.03.2024', '2024-03-15'],
    ['03/15/2024', '2024-03-15'],
    ['15/03/2024', '2024-03-15'],
    ['03/04/2024', '2024-03-04'], // both could be a month: month first, as US exports write it
    ['3/4/2024 10:15 AM', '2024-03-04'],
    ['March 20, 2024', '2024-03-20'],
    ['Mar 20 2024', '2024-03-20'],
    ['20 March 2024', '2024-03-20'],
    ['1st Sept. 2023', '2023-09-01'],
    ['Reviewed in the United States on March 20, 2024', '2024-03-20'],
    ['Reviewed in the United Kingdom on 5 January 2023', '2023-01-05'],
    ['1710460800', '2024-03-15'], // Unix seconds
    ['1710460800000', '2024-03-15'], // milliseconds
  ])('stores review_date %j as %s', (date, want) => {
    const r = toReview({ ...base, review_date: date }, ctx);
    expect(r.ok && r.review.reviewDate).toBe(want);
    expect(r.ok && r.warning).toBeUndefined();
  });

  it('keeps a U+FFFD the file itself holds as text, without a warning (some exports carry it)', () => {
    const r = toReview({ ...base, body: 'berhari\ufffd gada solusi' }, ctx);
    expect(r.ok && r.review.body).toBe('berhari\ufffd gada solusi');
    expect(r.ok && r.warning).toBeUndefined();
  });

  it.each(['last week', '2024-02-30', '13/13/2024', '15.13.2024', 'Feb 31, 2024', '0000-00-00', '99999999999', '9999999999999'])(
    'keeps the review without a date and names the field when review_date is %j',
    (date) => {
      const r = toReview({ ...base, review_date: date }, ctx);
      expect(r.ok).toBe(true);
      expect(r.ok && r.review.reviewDate).toBeNull();
      expect(r.ok && r.warning).toEqual({
        field: 'review_date',
        reason: expect.stringContaining(`not a date voc can read: ${JSON.stringify(date)}`),
      });
    },
  );
});

describe('column mapping', () => {
  it('matches the common export names case-insensitively', () => {
    expect(resolveColumns(['ID', 'ASIN', 'Star_Rating', 'Review_Title', 'Review_Body', 'ProfileName'])).toEqual({
      reviewId: 'ID',
      productId: 'ASIN',
      rating: 'Star_Rating',
      title: 'Review_Title',
      body: 'Review_Body',
      author: 'ProfileName',
    });
  });

  it('lets --map override an alias and never gives one column to two fields', () => {
    const mapping = parseMapping(['body=Customer Review', 'title=text']);
    expect(resolveColumns(['text', 'Customer Review'], mapping)).toEqual({ body: 'Customer Review', title: 'text' });
    expect(() => parseMapping(['colour=x'])).toThrow(/unknown field/);
    expect(() => parseMapping(['body'])).toThrow(/FIELD=COLUMN/);
  });
});
