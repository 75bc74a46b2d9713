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

  it('turns Unix seconds in a Time column into an ISO date and keeps other dates as written', () => {
    const t = toReview({ Id: '9', ProductId: 'B0', Score: '4', Text: 'ok', Time: '1303862400' }, ctx);
    expect(t.ok && t.review).toMatchObject({ reviewId: '9', productId: 'B0', rating: 4, reviewDate: '2011-04-27' });
    const d = toReview({ ...base, review_date: 'March 3, 2024' }, ctx);
    expect(d.ok && d.review.reviewDate).toBe('March 3, 2024');
  });
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
