import type { Knex } from 'knex';
import type { Store } from './db.js';
import { now } from './db.js';

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
  class: 'vip' | 'standard' | 'short';
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
  class: 'vip' | 'standard' | 'short';
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

const SQLITE_MAX_VARS = 900;
const SQLITE_MAX_COMPOUND = 400;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Insert one chunk in one transaction. Existing source keys are duplicates (same body) or conflicts (other body);
 * ON CONFLICT DO NOTHING keeps two daemons ingesting the same file from failing each other.
 */
export async function insertReviews(store: Store, rows: NewReview[], opts: { ingestFile?: string | null; products?: ProductMeta[] } = {}): Promise<InsertResult> {
  const result: InsertResult = { inserted: 0, duplicates: 0, conflicts: [], newProducts: [] };
  if (rows.length === 0 && !opts.products?.length) return result;
  await store.knex.transaction(async (trx) => {
    // within-chunk duplicates first
    const seen = new Map<string, NewReview>();
    const fresh: NewReview[] = [];
    for (const r of rows) {
      const prev = seen.get(r.sourceKey);
      if (prev) {
        if (prev.bodyHash === r.bodyHash) result.duplicates++;
        else result.conflicts.push({ line: r.line, reviewId: r.reviewId, sourceKey: r.sourceKey });
        continue;
      }
      seen.set(r.sourceKey, r);
      fresh.push(r);
    }
    const existing = new Map<string, string>();
    for (const part of chunks([...seen.keys()], SQLITE_MAX_VARS)) {
      const found: Array<{ source_key: string; body_hash: string }> = await trx('reviews').select('source_key', 'body_hash').whereIn('source_key', part);
      for (const f of found) existing.set(f.source_key, f.body_hash);
    }
    const toInsert: NewReview[] = [];
    for (const r of fresh) {
      const h = existing.get(r.sourceKey);
      if (h === undefined) toInsert.push(r);
      else if (h === r.bodyHash) result.duplicates++;
      else result.conflicts.push({ line: r.line, reviewId: r.reviewId, sourceKey: r.sourceKey });
    }
    const ts = now();
    const productIds = [...new Set([...toInsert.map((r) => r.productId), ...(opts.products ?? []).map((p) => p.id)])];
    result.newProducts = await upsertProducts(trx, productIds, ts);
    for (const meta of opts.products ?? []) {
      const patch: Record<string, unknown> = {};
      if (meta.title) patch.title = meta.title;
      if (meta.bulletPoints?.length) {
        patch.bullet_points = JSON.stringify(meta.bulletPoints);
        patch.bp_status = 'pending';
      }
      if (Object.keys(patch).length) await trx('products').where({ id: meta.id }).update(patch);
    }
    const cols = 17;
    // fewer, larger statements: PostgreSQL takes 65,535 parameters, SQLite 32,766 in at most 500 compound terms
    const perInsert = store.dialect === 'pg' ? Math.floor(60000 / cols) : SQLITE_MAX_COMPOUND;
    for (const part of chunks(toInsert, perInsert)) {
      const records = part.map((r) => ({
        source_key: r.sourceKey,
        review_id: r.reviewId,
        product_id: r.productId,
        marketplace: r.marketplace,
        rating: r.rating,
        title: r.title,
        body: r.body,
        body_hash: r.bodyHash,
        review_date: r.reviewDate,
        author: r.author,
        language: r.language,
        class: r.class,
        body_len: r.bodyLen,
        ingest_file: opts.ingestFile ?? null,
        created_at: ts,
        tr_status: 'pending',
        ins_status: 'pending',
      }));
      const inserted = await trx('reviews').insert(records).onConflict('source_key').ignore().returning('id');
      const n = Array.isArray(inserted) ? inserted.length : 0;
      result.inserted += n;
      result.duplicates += part.length - n; // lost a race with another writer: the row is there
    }
  });
  return result;
}

async function upsertProducts(trx: Knex.Transaction, ids: string[], ts: number): Promise<string[]> {
  const created: string[] = [];
  // knex writes a multi-row SQLite insert as one compound SELECT, and SQLite allows at most 500 terms in one
  for (const part of chunks(ids, SQLITE_MAX_COMPOUND)) {
    const rows: Array<{ id: string }> = await trx('products')
      .insert(part.map((id) => ({ id, first_seen_at: ts })))
      .onConflict('id')
      .ignore()
      .returning('id');
    for (const r of rows) created.push(typeof r === 'object' ? r.id : (r as string));
  }
  return created;
}

export async function countReviews(store: Store, where: Record<string, unknown> = {}): Promise<number> {
  const row = await store.knex('reviews').where(where).count<{ n: number }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}
