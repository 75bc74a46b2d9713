import type { Knex } from 'knex';
import type { Ratings } from './types.js';

/** Which reviews a query covers: one product (or every product) and an optional inclusive date range. */
export interface Scope {
  productId: string | null;
  from: string | null;
  to: string | null;
  /**
   * Read the tables in storage order instead of through the product index. On SQLite, when one product owns most
   * rows, a sequential scan beats one index seek per row by about 2x (decided by chooseScan).
   */
  scan?: boolean;
}

/** Filter on a product column; SQLite's `+col` keeps its planner off the index (SQLite only: chooseScan never scans on PostgreSQL). */
export function whereProduct(q: Knex.QueryBuilder, col: string, s: Scope): Knex.QueryBuilder {
  if (s.productId === null) return q;
  return s.scan ? q.whereRaw(`+${col} = ?`, [s.productId]) : q.where(col, s.productId);
}

/**
 * SQLite only: scan when the product holds more than a third of the reviews. Both counts are cheap (a covering
 * index range and the rowid maximum).
 */
export async function chooseScan(knex: Knex, dialect: string, productId: string): Promise<boolean> {
  if (dialect !== 'sqlite') return false;
  const mine = (await knex('reviews').where('product_id', productId).count({ n: '*' }).first()) as { n: unknown } | undefined;
  const all = (await knex('reviews').max({ m: 'id' }).first()) as { m: unknown } | undefined;
  return num(mine?.n) > 1000 && num(mine?.n) * 3 > num(all?.m);
}

/** Restrict a query on `reviews` (under `alias`) to the scope; a product's rows come by the (product_id, id) index. */
export function whereReviews(q: Knex.QueryBuilder, s: Scope, alias = 'reviews'): Knex.QueryBuilder {
  whereProduct(q, `${alias}.product_id`, s);
  if (s.from !== null) q.where(`${alias}.review_date`, '>=', s.from);
  if (s.to !== null) q.where(`${alias}.review_date`, '<=', s.to);
  return q;
}

/**
 * A query on an analysis table (insights, themes) under `alias`. The join to reviews is only paid for when a
 * date range needs the review's date; otherwise the table's own product_id index answers.
 */
export function analysisQuery(knex: Knex, table: 'insights' | 'themes', alias: string, s: Scope): Knex.QueryBuilder {
  const q = knex(`${table} as ${alias}`);
  whereProduct(q, `${alias}.product_id`, s);
  if (s.from !== null || s.to !== null) {
    q.join('reviews as r', 'r.id', `${alias}.review_id`);
    if (s.from !== null) q.where('r.review_date', '>=', s.from);
    if (s.to !== null) q.where('r.review_date', '<=', s.to);
  }
  return q;
}

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

/** Share as a fraction with 4 decimals (33.33 %), 0 when there is nothing to divide by. */
export const share = (part: number, whole: number): number => (whole > 0 ? round(part / whole, 4) : 0);

export const average = (sum: number, n: number): number | null => (n > 0 ? round(sum / n, 2) : null);

export const emptyRatings = (): Ratings => ({ '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 });

export function ratingsFrom(rows: Array<{ rating: unknown; n: unknown }>): Ratings {
  const r = emptyRatings();
  for (const row of rows) {
    const k = String(num(row.rating)) as keyof Ratings;
    if (k in r) r[k] += num(row.n);
  }
  return r;
}

/** Inclusive day arithmetic on YYYY-MM-DD strings, in UTC so the machine's time zone never shifts a period. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86400000;
  return new Date(t).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000);
}

export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s;
}
