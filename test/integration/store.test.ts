import { afterEach, describe, expect, it } from 'vitest';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { type NewReview } from '../../src/store/reviews.js';
import { insertReviews } from '../../src/store/insert.js';
import { claimReviews, completeClaimed, releaseClaims } from '../../src/store/claims.js';
import { openStore } from '../../src/store/db.js';
import { migrationSource } from '../../src/store/migrations/index.js';
import { sha256 } from '../../src/text.js';

function review(i: number, body = `body number ${i}`, product = 'P1'): NewReview {
  return {
    sourceKey: `amazon|${i}`,
    reviewId: String(i),
    productId: product,
    marketplace: 'amazon',
    rating: 5,
    title: null,
    body,
    bodyHash: sha256(body),
    reviewDate: '2024-01-01',
    author: null,
    language: 'en',
    class: 'short',
    bodyLen: body.length,
    line: i + 1,
  };
}

describe.each(DATABASES)('store on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db && (await db.cleanup()));

  it('migrations are idempotent: opening the same store twice works', async () => {
    db = await openTestDb(kind);
    const again = await openStore(db.config);
    const row = await again.knex('reviews').count<{ n: number }[]>({ n: '*' }).first();
    expect(Number(row!.n)).toBe(0);
    await again.close();
  });

  it('every migration rolls back and applies again', async () => {
    db = await openTestDb(kind);
    const schemaName = db.databaseUrl ? (new URL(db.databaseUrl).searchParams.get('schema') ?? undefined) : undefined;
    await db.store.knex.migrate.rollback({ migrationSource, schemaName }, true);
    expect(await db.store.knex.schema.hasTable('reviews')).toBe(false);
    await db.store.knex.migrate.latest({ migrationSource, schemaName });
    expect(await db.store.knex.schema.hasTable('reviews')).toBe(true);
    expect((await insertReviews(db.store, [review(1)])).inserted).toBe(1);
  });

  it('reviews carry only the indexes their reads use, and a claim of one product seeks (product_id, id)', async () => {
    db = await openTestDb(kind);
    const k = db.store.knex;
    const names =
      kind === 'sqlite'
        ? ((await k.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews' AND sql IS NOT NULL")) as Array<{
            name: string;
          }>)
        : ((await k.raw("SELECT indexname AS name FROM pg_indexes WHERE tablename = 'reviews' AND schemaname = current_schema()"))
            .rows as Array<{
            name: string;
          }>);
    expect(names.map((r) => r.name).sort()).toEqual(
      [
        'reviews_product_id_id_index',
        'reviews_source_key_unique',
        'reviews_tr_status_id_index',
        ...(kind === 'pg' ? ['reviews_pkey'] : []),
      ].sort(),
    );
    const claim = "SELECT id FROM reviews WHERE ins_status = 'pending' AND product_id = 'P1' AND id > 5 ORDER BY id LIMIT 100";
    const plan =
      kind === 'sqlite'
        ? JSON.stringify(await k.raw(`EXPLAIN QUERY PLAN ${claim}`))
        : JSON.stringify((await k.raw(`SET enable_seqscan = off; EXPLAIN ${claim}`))[1].rows);
    expect(plan).toMatch(
      kind === 'sqlite' ? /reviews_product_id_id_index \(product_id=\? AND id>\?\)/ : /reviews_product_id_id_index[\s\S]*id > 5/,
    );
  });

  it('re-inserting a chunk inserts nothing and reports a changed body as a conflict', async () => {
    db = await openTestDb(kind);
    const rows = Array.from({ length: 50 }, (_, i) => review(i));
    const first = await insertReviews(db.store, rows, { ingestFile: 'a.csv' });
    expect(first).toMatchObject({ inserted: 50, duplicates: 0 });
    expect(first.newProducts).toEqual(['P1']);
    const second = await insertReviews(db.store, rows);
    expect(second).toMatchObject({ inserted: 0, duplicates: 50, conflicts: [] });
    const changed = await insertReviews(db.store, [review(3, 'a different body')]);
    expect(changed.inserted).toBe(0);
    expect(changed.conflicts).toEqual([{ line: 4, reviewId: '3', sourceKey: 'amazon|3' }]);
  });

  it('claims are exclusive, leased, and only the owner can complete them', async () => {
    db = await openTestDb(kind);
    await insertReviews(
      db.store,
      Array.from({ length: 10 }, (_, i) => review(i)),
    );
    const a = await claimReviews(db.store, 'tr', { owner: 'A', leaseMs: 60000, limit: 6 });
    const b = await claimReviews(db.store, 'tr', { owner: 'B', leaseMs: 60000, limit: 6 });
    expect(a).toHaveLength(6);
    expect(b).toHaveLength(4);
    expect(new Set([...a, ...b].map((r) => r.id)).size).toBe(10);
    // B cannot complete A's claim
    expect(await completeClaimed(db.store, 'tr', 'B', [{ id: a[0].id, patch: { tr_status: 'done' } }])).toBe(0);
    expect(await completeClaimed(db.store, 'tr', 'A', [{ id: a[0].id, patch: { tr_status: 'done', body_zh: 'x' } }])).toBe(1);
    expect(await releaseClaims(db.store, 'tr', 'A')).toBe(5);
    const c = await claimReviews(db.store, 'tr', { owner: 'C', leaseMs: 1, limit: 100 });
    expect(c).toHaveLength(5);
    await new Promise((r) => setTimeout(r, 10));
    // C's lease of 1 ms has expired: D takes the work over
    const d = await claimReviews(db.store, 'tr', { owner: 'D', leaseMs: 60000, limit: 100 });
    expect(d.map((r) => r.id).sort()).toEqual(c.map((r) => r.id).sort());
  });
});
