import type { Store } from './db.js';
import type { ReviewClass } from '../domain.js';

/** A validated review ready to store (readers produce it, the ingestion lane inserts it). */
export interface NewReview {
  sourceKey: string;
  reviewId: string | null;
  productId: string;
  marketplace: string | null;
  rating: number;
  title: string | null;
  body: string;
  bodyHash: string;
  reviewDate: string | null;
  author: string | null;
  language: string | null;
  class: ReviewClass;
  bodyLen: number;
  /** 1-based line of the source file, for messages */
  line?: number;
}

export interface ProductMeta {
  id: string;
  title?: string | null;
  bulletPoints?: string[] | null;
}

export interface ReviewRow {
  id: number;
  source_key: string;
  review_id: string | null;
  product_id: string;
  marketplace: string | null;
  rating: number;
  title: string | null;
  body: string;
  body_hash: string;
  review_date: string | null;
  author: string | null;
  language: string | null;
  class: ReviewClass;
  body_len: number;
  ingest_file: string | null;
  created_at: number;
  tr_status: string;
  tr_attempts: number;
  tr_error: string | null;
  title_zh: string | null;
  body_zh: string | null;
  ins_status: string;
  thm_status: string;
}

export interface InsertResult {
  inserted: number;
  duplicates: number;
  /** same source identity, different body: reported, never merged */
  conflicts: Array<{ line?: number; reviewId: string | null; sourceKey: string }>;
  /** products stored for the first time by this chunk */
  newProducts: string[];
}
/** The columns a chunk carries, in the order both dialects bind them. */
export const COLUMNS = [
  'source_key',
  'review_id',
  'product_id',
  'marketplace',
  'rating',
  'title',
  'body',
  'body_hash',
  'review_date',
  'author',
  'language',
  'class',
  'body_len',
] as const;
/** A stored row with the same source key: the same body is a duplicate, another body a conflict. */
export function judgeExisting(r: NewReview, storedHash: string, result: InsertResult): void {
  if (storedHash === r.bodyHash) result.duplicates++;
  else result.conflicts.push({ line: r.line, reviewId: r.reviewId, sourceKey: r.sourceKey });
}
/** Title and bullet points from a JSON file's product metadata. */
export function metaPatch(meta: ProductMeta): Record<string, unknown> | null {
  const patch: Record<string, unknown> = {};
  if (meta.title) patch.title = meta.title;
  if (meta.bulletPoints?.length) {
    patch.bullet_points = JSON.stringify(meta.bulletPoints);
    patch.bp_status = 'pending';
  }
  return Object.keys(patch).length ? patch : null;
}
/** Where a chunk came from: the file named on its rows, and product metadata (a JSON file's) to apply with it. */
export interface InsertOptions {
  ingestFile?: string | null;
  products?: ProductMeta[];
}

export async function countReviews(store: Store, where: Record<string, unknown> = {}): Promise<number> {
  const row = await store.knex('reviews').where(where).count<{ n: number }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}
