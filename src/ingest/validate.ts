import type { Config } from '../config/schema.js';
import type { NewReview } from '../store/reviews.js';
import { classifyLength } from '../translate/classifier.js';
import { codePoints, sha256 } from '../text.js';
import { guessLanguage } from '../language.js';
import { parseDate } from '../dates.js';
import { cachedResolution, type Field } from './columns.js';

export interface ToReviewContext {
  config: Config;
  file: string | null;
  line: number;
  /** `--map` overrides: field -> source column */
  mapping?: Record<string, string>;
  /** `--product`: fills a missing product column */
  product?: string | null;
}

export type ToReviewResult =
  | {
      ok: true;
      review: NewReview;
      /** kept, with something to say (a date left out, bytes that were not text) */ warning?: { field: string; reason: string };
    }
  | { ok: false; field: string; reason: string };

/** Source column names as users know them, for reject messages. */
const FIELD_LABEL: Record<Field, string> = {
  reviewId: 'review_id',
  productId: 'product_id',
  rating: 'rating',
  title: 'title',
  body: 'body',
  date: 'review_date',
  author: 'author',
  marketplace: 'marketplace',
  language: 'language',
};

class Reject {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {}
}

function tooLong(s: string, max: number): boolean {
  // .length counts UTF-16 units, never fewer than code points: only count exactly when it could matter
  return s.length > max && codePoints(s) > max;
}

/** A scalar cell as trimmed text; null when absent or empty. Objects and arrays are not review fields. */
function text(record: Record<string, unknown>, key: string | undefined, field: string, max: number): string | null {
  if (key === undefined) return null;
  const v = record[key];
  if (v === null || v === undefined) return null;
  if (typeof v === 'object') throw new Reject(field, 'expected text, got ' + (Array.isArray(v) ? 'an array' : 'an object'));
  const s = typeof v === 'string' ? v : String(v);
  if (tooLong(s, max)) throw new Reject(field, `longer than ${max} characters (${codePoints(s)})`);
  const t = s.trim();
  return t === '' ? null : t;
}

/** Integer 1-5; `5.0` is 5, `4.5`, `0`, `6` and `five` are not ratings. */
export function parseRating(v: unknown): number | string {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*\+?\d+(\.0*)?\s*$/.test(v)) n = Number(v);
  else if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return 'required';
  else return `not a whole number 1-5: ${JSON.stringify(String(v).slice(0, 20))}`;
  if (!Number.isInteger(n)) return `not a whole number 1-5: ${n}`;
  if (n < 1 || n > 5) return `out of range 1-5: ${n}`;
  return n;
}

function build(record: Record<string, unknown>, ctx: ToReviewContext, warn: (field: string, reason: string) => void): NewReview {
  const max = ctx.config.ingest.maxFieldLength;
  const cols = cachedResolution(Object.keys(record), ctx.mapping);
  // every field is checked for length, even the ones no column maps to: a 5 MB cell is a broken row
  for (const k in record) {
    const v = record[k];
    if (typeof v === 'string' && tooLong(v, max)) {
      const f = Object.entries(cols).find(([, key]) => key === k)?.[0] as Field | undefined;
      throw new Reject(f ? FIELD_LABEL[f] : k, `longer than ${max} characters (${codePoints(v)})`);
    }
  }
  const get = (f: Field) => text(record, cols[f], FIELD_LABEL[f], max);
  const body = get('body');
  if (body === null) throw new Reject('body', cols.body === undefined ? 'no body column' : 'empty');
  const rating = parseRating(cols.rating === undefined ? undefined : record[cols.rating]);
  if (typeof rating === 'string') throw new Reject('rating', rating);
  const productId = get('productId') ?? ctx.product ?? null;
  if (productId === null) throw new Reject('product_id', cols.productId === undefined ? 'no product column (use --product)' : 'empty');
  const reviewId = get('reviewId');
  const marketplace = get('marketplace');
  const bodyHash = sha256(body);
  const dateKey = cols.date;
  const bodyLen = codePoints(body);
  const title = get('title');
  const dateText = get('date');
  const reviewDate = parseDate(dateText, dateKey !== undefined && dateKey.toLowerCase() === 'time');
  if (reviewDate === undefined)
    warn(
      'review_date',
      `not a date voc can read: ${JSON.stringify(dateText!.slice(0, 40))}; the review is kept without a date (write YYYY-MM-DD)`,
    );
  return {
    sourceKey: reviewId !== null ? `${marketplace ?? 'default'}|${reviewId}` : `p:${productId}|${bodyHash}`,
    reviewId,
    productId,
    marketplace,
    rating,
    title,
    body,
    bodyHash,
    reviewDate: reviewDate ?? null,
    author: get('author'),
    // the first few hundred characters tell the language as well as the whole body, at a fraction of the cost
    language: get('language') ?? guessLanguage(body.length > 160 ? body.slice(0, 160) : body),
    class: classifyLength(bodyLen, rating, ctx.config.translate),
    bodyLen,
    line: ctx.line,
  };
}

/**
 * The one validation every reader (and the daemon's Redis ingest buffer) uses: a raw record with source column
 * names becomes a NewReview, or a reject naming the field and the reason.
 */
export function toReview(record: Record<string, unknown>, ctx: ToReviewContext): ToReviewResult {
  if (record === null || typeof record !== 'object' || Array.isArray(record))
    return { ok: false, field: '(record)', reason: 'not an object' };
  try {
    let warning: { field: string; reason: string } | undefined;
    const review = build(record, ctx, (field, reason) => (warning = { field, reason }));
    return warning ? { ok: true, review, warning } : { ok: true, review };
  } catch (err) {
    if (err instanceof Reject) return { ok: false, field: err.field, reason: err.reason };
    throw err;
  }
}
