import type { Store } from './db.js';
import { now, withSqlite } from './db.js';

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

/**
 * Review text and model answers are untrusted: a lone surrogate or a NUL would make the JSON parameter (or a
 * PostgreSQL text column) reject the whole write, so they are mended here.
 */
// Node 20 has String.prototype.isWellFormed / toWellFormed; the ES2022 typings this project compiles with do not
type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };
function clean(s: string | null | undefined): string | null {
  if (s == null) return null;
  const w = s as unknown as WellFormed;
  const t = w.isWellFormed() ? s : w.toWellFormed();
  return t.includes('\0') ? t.replaceAll('\0', '') : t;
}

type Raw = { changes?: number; rowCount?: number | null };
const affected = (r: unknown) => Number((r as Raw).changes ?? (r as Raw).rowCount ?? 0);

/*
 * The batch travels as one JSON parameter and is unpacked by the database: one statement per write, however many
 * rows, instead of a query built per row (on a busy run the builder cost more CPU than the database did).
 */
const CACHE_INSERT = {
  sqlite: `INSERT INTO translation_cache (text_hash, model, target_lang, translation, created_at)
    SELECT json_extract(value, '$.h'), ?, ?, json_extract(value, '$.t'), ? FROM json_each(?) WHERE true
    ON CONFLICT (text_hash, model, target_lang) DO NOTHING`,
  pg: `INSERT INTO translation_cache (text_hash, model, target_lang, translation, created_at)
    SELECT v.h, ?, ?, v.t, ? FROM json_to_recordset(?::json) AS v(h text, t text)
    ON CONFLICT (text_hash, model, target_lang) DO NOTHING`,
};

export async function writeCache(
  store: Store,
  entries: Array<{ hash: string; translation: string }>,
  key: CacheKey,
  trx?: Store['knex'],
): Promise<void> {
  if (entries.length === 0) return;
  const unique = new Map(entries.map((e) => [e.hash, e.translation]));
  const json = JSON.stringify([...unique].map(([h, t]) => ({ h, t: clean(t) })));
  await (trx ?? store.knex).raw(CACHE_INSERT[store.dialect], [key.model, key.targetLang, now(), json]);
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

/*
 * Only rows this owner still holds in progress are written. A failed review keeps its old translation columns
 * and counts an attempt; a settled one clears the error. On PostgreSQL the batch travels as one JSON parameter (one
 * round trip); on SQLite (below) the unary + keeps the planner off the (tr_status, id) index.
 */
const SETTLE_PG = `UPDATE reviews SET tr_status = v.s, tr_error = v.e,
      tr_attempts = CASE WHEN v.s = 'failed' THEN v.a ELSE reviews.tr_attempts END,
      body_zh = CASE WHEN v.s = 'failed' THEN reviews.body_zh ELSE v.b END,
      title_zh = CASE WHEN v.s = 'failed' THEN reviews.title_zh ELSE v.t END,
      tr_cached = CASE WHEN v.s = 'failed' THEN reviews.tr_cached ELSE v.c END,
      tr_source = CASE WHEN v.s = 'failed' THEN reviews.tr_source ELSE v.src END,
      tr_owner = NULL, tr_lease = NULL, tr_at = ?
    FROM json_to_recordset(?::json) AS v(id bigint, s text, e text, a integer, b text, t text, c boolean, src text)
    WHERE reviews.id = v.id AND reviews.tr_owner = ? AND reviews.tr_status = 'in_progress'`;

/*
 * On SQLite the same write is a statement per row, bound directly, in one synchronous transaction: half the CPU of
 * the JSON statement above (whose per-field json_extract dominated), and none of knex's per-query path.
 */
const SQLITE_ROW = {
  cache: `INSERT INTO translation_cache (text_hash, model, target_lang, translation, created_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (text_hash, model, target_lang) DO NOTHING`,
  settled: `UPDATE reviews SET tr_status = ?, tr_error = NULL, body_zh = ?, title_zh = ?, tr_cached = ?, tr_source = ?,
      tr_owner = NULL, tr_lease = NULL, tr_at = ?
    WHERE id = ? AND tr_owner = ? AND +tr_status = 'in_progress'`,
  failed: `UPDATE reviews SET tr_status = 'failed', tr_error = ?, tr_attempts = ?, tr_owner = NULL, tr_lease = NULL, tr_at = ?
    WHERE id = ? AND tr_owner = ? AND +tr_status = 'in_progress'`,
};

function settleSqlite(
  store: Store,
  owner: string,
  outcomes: ReviewOutcome[],
  cache: { entries: Array<{ hash: string; translation: string }>; key: CacheKey },
): Promise<number> {
  return withSqlite(store, (db) => {
    const ts = now();
    const cacheRow = db.prepare(SQLITE_ROW.cache);
    const settled = db.prepare(SQLITE_ROW.settled);
    const failed = db.prepare(SQLITE_ROW.failed);
    return db.transaction(() => {
      for (const e of cache.entries) cacheRow.run(e.hash, cache.key.model, cache.key.targetLang, clean(e.translation), ts);
      let n = 0;
      for (const o of outcomes) {
        n +=
          o.status === 'failed'
            ? failed.run(clean((o.error ?? 'unknown error').slice(0, 500)), o.attempts + 1, ts, o.id, owner).changes
            : settled.run(o.status, clean(o.bodyZh), clean(o.titleZh), o.cached ? 1 : 0, o.source ?? null, ts, o.id, owner).changes;
      }
      return n;
    })();
  });
}

/**
 * Settle reviews and remember fresh translations in one transaction of two statements. Only reviews this owner
 * still holds are written (a review taken over after a lease expiry is left to its new owner); returns how many
 * were written.
 */
export async function settleReviews(
  store: Store,
  owner: string,
  outcomes: ReviewOutcome[],
  cache: { entries: Array<{ hash: string; translation: string }>; key: CacheKey },
): Promise<number> {
  if (outcomes.length === 0 && cache.entries.length === 0) return 0;
  if (store.dialect === 'sqlite') return settleSqlite(store, owner, outcomes, cache);
  const rows = outcomes.map((o) =>
    o.status === 'failed'
      ? { id: o.id, s: o.status, e: clean((o.error ?? 'unknown error').slice(0, 500)), a: o.attempts + 1 }
      : { id: o.id, s: o.status, e: null, b: clean(o.bodyZh), t: clean(o.titleZh), c: !!o.cached, src: o.source ?? null },
  );
  return store.knex.transaction(async (trx) => {
    await writeCache(store, cache.entries, cache.key, trx as unknown as Store['knex']);
    if (rows.length === 0) return 0;
    return affected(await trx.raw(SETTLE_PG, [now(), JSON.stringify(rows), owner]));
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

export async function claimBulletProducts(
  store: Store,
  o: { owner: string; leaseMs: number; limit: number; productId?: string | null },
): Promise<BulletProduct[]> {
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
    await trx('products')
      .whereIn('id', ids)
      .update({ bp_status: 'in_progress', bp_owner: o.owner, bp_lease: ts + o.leaseMs });
    return trx('products').select('id', 'bullet_points').whereIn('id', ids).orderBy('id');
  });
}

export async function settleBullets(
  store: Store,
  owner: string,
  id: string,
  result: { ok: true; zh: string[] } | { ok: false },
): Promise<number> {
  const patch = result.ok
    ? { bp_status: 'done', bullet_points_zh: JSON.stringify(result.zh), bp_owner: null, bp_lease: null }
    : { bp_status: 'failed', bp_owner: null, bp_lease: null };
  return store.knex('products').where({ id, bp_owner: owner, bp_status: 'in_progress' }).update(patch);
}

export async function releaseBullets(store: Store, owner: string): Promise<number> {
  return store
    .knex('products')
    .where({ bp_owner: owner, bp_status: 'in_progress' })
    .update({ bp_status: 'pending', bp_owner: null, bp_lease: null });
}
