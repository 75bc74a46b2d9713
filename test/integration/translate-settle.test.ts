import { afterEach, describe, expect, it } from 'vitest';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { type NewReview } from '../../src/store/reviews.js';
import { insertReviews } from '../../src/store/insert.js';
import { claimReviews } from '../../src/store/claims.js';
import { readCache, settleReviews } from '../../src/store/translations.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const review = (i: number): NewReview => ({
  sourceKey: `k${i}`,
  reviewId: `r${i}`,
  productId: 'P1',
  marketplace: null,
  rating: 4,
  title: `title ${i}`,
  body: `body ${i}`,
  bodyHash: `h${i}`,
  reviewDate: null,
  author: null,
  language: 'en',
  class: 'short',
  bodyLen: 6,
});

const KEY = { model: 'qwen-mt-flash', targetLang: 'zh' };

describe.each(DATABASES)('settling translations on %s', (kind) => {
  async function setup(): Promise<TestDb> {
    const db = await openTestDb(kind);
    cleanups.push(db.cleanup);
    await insertReviews(db.store, [1, 2, 3, 4].map(review));
    return db;
  }
  const rows = (db: TestDb) =>
    db.store
      .knex('reviews')
      .select('id', 'tr_status', 'body_zh', 'title_zh', 'tr_error', 'tr_attempts', 'tr_cached', 'tr_source', 'tr_owner')
      .orderBy('id');

  it('writes only the claims this owner holds: done, skipped and failed, each as its own row says', async () => {
    const db = await setup();
    const claimed = await claimReviews(db.store, 'tr', { owner: 'me', leaseMs: 60_000, limit: 3 });
    const [a, b, c] = claimed.map((r) => r.id);
    const other = (await db.store.knex('reviews').where('source_key', 'k4').first()).id;
    // a failed try earlier left a translation and an error on c: a new failure keeps the translation
    await db.store.knex('reviews').where('id', c).update({ body_zh: '旧译文', tr_attempts: 1 });
    const n = await settleReviews(
      db.store,
      'me',
      [
        { id: a, status: 'done', bodyZh: '好\0吃', titleZh: '标题', cached: false, source: 'llm', attempts: 0 },
        { id: b, status: 'skipped', bodyZh: null, titleZh: null, cached: false, source: null, attempts: 0 },
        { id: c, status: 'failed', error: 'x'.repeat(600), attempts: 1 },
        // not claimed by this owner (pending): never written
        { id: other, status: 'done', bodyZh: '不该写', titleZh: null, cached: true, source: 'cache', attempts: 0 },
      ],
      { entries: [{ hash: 'hash-a', translation: '好吃\uD800' }], key: KEY },
    );
    expect(n).toBe(3);
    const got = await rows(db);
    expect(got[0]).toMatchObject({
      id: a,
      tr_status: 'done',
      body_zh: '好吃',
      title_zh: '标题',
      tr_error: null,
      tr_source: 'llm',
      tr_owner: null,
    });
    expect(Number(got[0].tr_cached)).toBe(0);
    expect(got[1]).toMatchObject({ id: b, tr_status: 'skipped', body_zh: null, tr_owner: null });
    expect(got[2]).toMatchObject({ id: c, tr_status: 'failed', body_zh: '旧译文', tr_attempts: 2, tr_owner: null });
    expect(String(got[2].tr_error)).toHaveLength(500);
    expect(got[3]).toMatchObject({ id: other, tr_status: 'pending', body_zh: null });
    // a lone surrogate is mended, not a reason to lose the write
    expect((await readCache(db.store, ['hash-a'], KEY)).get('hash-a')).toBe('好吃\uFFFD');
  });

  it('a claim taken over by another owner is left to it, and a cache entry already there is kept', async () => {
    const db = await setup();
    const [a] = (await claimReviews(db.store, 'tr', { owner: 'me', leaseMs: 60_000, limit: 1 })).map((r) => r.id);
    await db.store.knex('reviews').where('id', a).update({ tr_owner: 'them' });
    await settleReviews(db.store, 'them', [], { entries: [{ hash: 'h', translation: 'first' }], key: KEY });
    const n = await settleReviews(
      db.store,
      'me',
      [{ id: a, status: 'done', bodyZh: '我的', titleZh: null, cached: false, source: 'llm', attempts: 0 }],
      {
        entries: [{ hash: 'h', translation: 'second' }],
        key: KEY,
      },
    );
    expect(n).toBe(0);
    expect((await rows(db))[0]).toMatchObject({ tr_status: 'in_progress', tr_owner: 'them', body_zh: null });
    expect((await readCache(db.store, ['h'], KEY)).get('h')).toBe('first');
  });
});
