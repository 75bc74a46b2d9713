import type { Store } from './db.js';
import { now } from './db.js';
import { completeClaimed } from './claims.js';

/**
 * The translation cache (text hash + model + target language -> translation) and the writes that settle a
 * review's translation. A text translated last week costs nothing today.
 */
export interface CacheKey {
  model: string;
  targetLang: string;
}

const SQLITE_MAX_VARS = 900;

export async function readCache(store: Store, hashes: string[], key: CacheKey): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unique = [...new Set(hashes)];
  for (let i = 0; i < unique.length; i += SQLITE_MAX_VARS - 2) {
    const part = unique.slice(i, i + SQLITE_MAX_VARS - 2);
    const rows: Array<{ text_hash: string; translation: string }> = await store
      .knex('translation_cache')
      .select('text_hash', 'translation')
      .where({ model: key.model, target_lang: key.targetLang })
      .whereIn('text_hash', part);
    for (const r of rows) out.set(r.text_hash, r.translation);
  }
  return out;
}

export async function writeCache(k: Store['knex'], entries: Array<{ hash: string; translation: string }>, key: CacheKey): Promise<void> {
  if (entries.length === 0) return;
  const ts = now();
  const unique = new Map(entries.map((e) => [e.hash, e.translation]));
  const rows = [...unique].map(([hash, translation]) => ({ text_hash: hash, model: key.model, target_lang: key.targetLang, translation, created_at: ts }));
  for (let i = 0; i < rows.length; i += 150) {
    await k('translation_cache').insert(rows.slice(i, i + 150)).onConflict(['text_hash', 'model', 'target_lang']).ignore();
  }
}

/** How one review's translation ends. */
export interface ReviewOutcome {
  id: number;
  status: 'done' | 'skipped' | 'failed';
  bodyZh?: string | null;
  titleZh?: string | null;
  /** every text came from the cache (or needed no call) */
  cached?: boolean;
  /** where the translation came from: a call, the cache, or a local Traditional/Simplified conversion */
  source?: 'llm' | 'cache' | 'opencc' | null;
  error?: string;
  /** tr_attempts before this run, for the failed count */
  attempts: number;
}

/**
 * Settle reviews and remember fresh translations in one transaction. Only reviews this owner still holds are
 * written (a review taken over after a lease expiry is left to its new owner); returns how many were written.
 */
export async function settleReviews(
  store: Store,
  owner: string,
  outcomes: ReviewOutcome[],
  cache: { entries: Array<{ hash: string; translation: string }>; key: CacheKey },
): Promise<number> {
  if (outcomes.length === 0 && cache.entries.length === 0) return 0;
  return store.knex.transaction(async (trx) => {
    await writeCache(trx as unknown as Store['knex'], cache.entries, cache.key);
    const updates = outcomes.map((o) => {
      const patch: Record<string, unknown> = { tr_status: o.status };
      if (o.status === 'failed') {
        patch.tr_error = (o.error ?? 'unknown error').slice(0, 500);
        patch.tr_attempts = o.attempts + 1;
      } else {
        patch.tr_error = null;
        patch.body_zh = o.bodyZh ?? null;
        patch.title_zh = o.titleZh ?? null;
        patch.tr_cached = !!o.cached;
        patch.tr_source = o.source ?? null;
      }
      return { id: o.id, patch };
    });
    return completeClaimed(store, 'tr', owner, updates, trx as unknown as Store['knex']);
  });
}

/** Failed reviews get another go when a new run starts, until they have used up `maxAttempts`. */
export async function requeueFailed(store: Store, opts: { maxAttempts: number; productId?: string | null }): Promise<number> {
  const q = store.knex('reviews').where('tr_status', 'failed').andWhere('tr_attempts', '<', opts.maxAttempts);
  if (opts.productId) q.andWhere('product_id', opts.productId);
  return q.update({ tr_status: 'pending' });
}

/** Reviews a run could still claim: pending, or held under an expired lease. */
export async function countClaimable(store: Store, productId?: string | null): Promise<number> {
  const ts = now();
  const q = store.knex('reviews').where((w) => {
    w.where('tr_status', 'pending').orWhere((w2) => w2.where('tr_status', 'in_progress').andWhere('tr_lease', '<', ts));
  });
  if (productId) q.andWhere('product_id', productId);
  const row = await q.count<{ n: number }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Products whose bullet points wait for translation, claimed with a lease like reviews. */
export interface BulletProduct {
  id: string;
  bullet_points: string | null;
}

export async function claimBulletProducts(store: Store, o: { owner: string; leaseMs: number; limit: number; productId?: string | null }): Promise<BulletProduct[]> {
  const ts = now();
  return store.knex.transaction(async (trx) => {
    const q = trx('products')
      .select('id')
      .where((w) => {
        w.where('bp_status', 'pending').orWhere((w2) => w2.where('bp_status', 'in_progress').andWhere('bp_lease', '<', ts));
      })
      .orderBy('id')
      .limit(o.limit);
    if (o.productId) q.andWhere('id', o.productId);
    if (store.dialect === 'pg') q.forUpdate().skipLocked();
    const ids = (await q).map((r: { id: string }) => r.id);
    if (ids.length === 0) return [];
    await trx('products').whereIn('id', ids).update({ bp_status: 'in_progress', bp_owner: o.owner, bp_lease: ts + o.leaseMs });
    return trx('products').select('id', 'bullet_points').whereIn('id', ids).orderBy('id');
  });
}

export async function settleBullets(store: Store, owner: string, id: string, result: { ok: true; zh: string[] } | { ok: false }): Promise<number> {
  const patch = result.ok
    ? { bp_status: 'done', bullet_points_zh: JSON.stringify(result.zh), bp_owner: null, bp_lease: null }
    : { bp_status: 'failed', bp_owner: null, bp_lease: null };
  return store.knex('products').where({ id, bp_owner: owner, bp_status: 'in_progress' }).update(patch);
}

export async function releaseBullets(store: Store, owner: string): Promise<number> {
  return store.knex('products').where({ bp_owner: owner, bp_status: 'in_progress' }).update({ bp_status: 'pending', bp_owner: null, bp_lease: null });
}
