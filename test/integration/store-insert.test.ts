import { afterEach, describe, expect, it } from 'vitest';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { type NewReview, type ReviewRow } from '../../src/store/reviews.js';
import { insertReviews } from '../../src/store/insert.js';
import { sha256 } from '../../src/text.js';

function review(i: number, o: { body?: string; product?: string; id?: string | null } = {}): NewReview {
  const body = o.body ?? `body number ${i}`;
  const id = o.id === undefined ? String(i) : o.id;
  const product = o.product ?? 'P1';
  return {
    sourceKey: id === null ? `p:${product}|${sha256(body)}` : `amazon|${id}`,
    reviewId: id,
    productId: product,
    marketplace: id === null ? null : 'amazon',
    rating: (i % 5) + 1,
    title: i % 2 ? `title ${i}` : null,
    body,
    bodyHash: sha256(body),
    reviewDate: i % 3 ? '2024-01-01' : null,
    author: null,
    language: 'en',
    class: 'short',
    bodyLen: body.length,
    line: i + 2,
  };
}

const rowsOf = (db: TestDb): Promise<ReviewRow[]> => db.store.knex('reviews').select('*').orderBy('id');

describe.each(DATABASES)('insertReviews on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db && (await db.cleanup()));

  it("stores every column as given, ids in chunk order, and a chunk far over one statement's parameter limit", async () => {
    db = await openTestDb(kind);
    const rows = Array.from({ length: 5000 }, (_, i) =>
      review(i, { body: i === 7 ? 'quotes " \' \\ , {braces} NULL 中文 👍' : undefined }),
    );
    const res = await insertReviews(db.store, rows, { ingestFile: 'a.csv' });
    expect(res).toEqual({ inserted: 5000, duplicates: 0, conflicts: [], newProducts: ['P1'] });
    const stored = await rowsOf(db);
    expect(stored.map((r) => r.source_key)).toEqual(rows.map((r) => r.sourceKey));
    const r7 = stored[7];
    expect(r7).toMatchObject({
      review_id: '7',
      product_id: 'P1',
      marketplace: 'amazon',
      rating: 3,
      title: 'title 7',
      body: rows[7].body,
      body_hash: rows[7].bodyHash,
      review_date: '2024-01-01',
      author: null,
      language: 'en',
      class: 'short',
      body_len: rows[7].bodyLen,
      ingest_file: 'a.csv',
      tr_status: 'pending',
      ins_status: 'pending',
    });
    expect(stored[0]).toMatchObject({ title: null, review_date: null });
    expect(Number(r7.created_at)).toBeGreaterThan(0);
  });

  it('sorts a mixed chunk into new rows, duplicates and conflicts, within the chunk and against the store', async () => {
    db = await openTestDb(kind);
    await insertReviews(db.store, [review(1), review(2), review(3, { id: null })]);
    const res = await insertReviews(db.store, [
      review(1), // stored, same body: duplicate
      review(2, { body: 'changed' }), // stored, other body: conflict
      review(3, { id: null }), // keyed on product + body hash: duplicate
      review(4), // new
      review(4), // repeated in the chunk: duplicate
      review(5),
      review(5, { body: 'other body in the same chunk' }), // conflict within the chunk
    ]);
    expect(res.inserted).toBe(2);
    expect(res.duplicates).toBe(3);
    // conflicts within the chunk are found first, then those against the store
    expect(res.conflicts).toEqual([
      { line: 7, reviewId: '5', sourceKey: 'amazon|5' },
      { line: 4, reviewId: '2', sourceKey: 'amazon|2' },
    ]);
    expect(res.newProducts).toEqual([]);
    const stored = await rowsOf(db);
    expect(stored.find((r) => r.source_key === 'amazon|2')!.body).toBe('body number 2'); // the stored body is kept
    expect(stored).toHaveLength(5);
  });

  it('creates products of new rows only, and applies product metadata in the same chunk', async () => {
    db = await openTestDb(kind);
    const first = await insertReviews(db.store, [review(1, { product: 'A' }), review(2, { product: 'B' }), review(3, { product: 'A' })]);
    expect(first.newProducts.sort()).toEqual(['A', 'B']);
    const again = await insertReviews(db.store, [review(1, { product: 'A' }), review(9, { product: 'C' })], {
      products: [
        { id: 'D', title: 'Dee', bulletPoints: ['one', 'two'] },
        { id: 'A', title: 'Ay' },
      ],
    });
    expect(again.newProducts.sort()).toEqual(['C', 'D']);
    // a chunk of new reviews only (on PostgreSQL, copied straight into reviews) does the same
    const fresh = await insertReviews(db.store, [review(20, { product: 'E' }), review(21, { product: 'B' })], {
      products: [
        { id: 'F', title: 'Eff' },
        { id: 'B', bulletPoints: ['bee'] },
      ],
    });
    expect(fresh).toEqual({ inserted: 2, duplicates: 0, conflicts: [], newProducts: expect.any(Array) });
    expect(fresh.newProducts.sort()).toEqual(['E', 'F']);
    const products = await db.store.knex('products').select('id', 'title', 'bullet_points', 'bp_status').orderBy('id');
    expect(products).toEqual([
      { id: 'A', title: 'Ay', bullet_points: null, bp_status: 'none' },
      { id: 'B', title: null, bullet_points: JSON.stringify(['bee']), bp_status: 'pending' },
      { id: 'C', title: null, bullet_points: null, bp_status: 'none' },
      { id: 'D', title: 'Dee', bullet_points: JSON.stringify(['one', 'two']), bp_status: 'pending' },
      { id: 'E', title: null, bullet_points: null, bp_status: 'none' },
      { id: 'F', title: 'Eff', bullet_points: null, bp_status: 'none' },
    ]);
  });

  it('chunks mostly new and chunks mostly stored, in turn, are sorted alike (either form of the move)', async () => {
    db = await openTestDb(kind);
    for (let round = 0; round < 4; round++) {
      const base = round * 100;
      const fresh = Array.from({ length: 20 }, (_, i) => review(base + i, { product: `P${round}` }));
      const earlier = round ? [review(base - 100), review(base - 99, { body: 'changed' })] : [];
      const a = await insertReviews(db.store, [...fresh, ...earlier]);
      expect(a.inserted).toBe(20);
      expect(a.duplicates).toBe(round ? 1 : 0);
      expect(a.conflicts.map((c) => c.sourceKey)).toEqual(round ? [`amazon|${base - 99}`] : []);
      expect(a.newProducts).toEqual([`P${round}`]);
      const again = fresh.map((r, i) => (i === 3 ? review(base + 3, { body: 'changed', product: `P${round}` }) : r));
      const b = await insertReviews(db.store, [...again, review(base + 50, { product: 'Q' })]);
      expect(b.inserted).toBe(1);
      expect(b.duplicates).toBe(19);
      expect(b.conflicts.map((c) => c.sourceKey)).toEqual([`amazon|${base + 3}`]);
      expect(b.newProducts).toEqual(round ? [] : ['Q']);
    }
    expect(await rowsOf(db)).toHaveLength(4 * 21);
  });

  it('two writers with overlapping chunks store each review once and count the rest as duplicates', async () => {
    db = await openTestDb(kind);
    const a = Array.from({ length: 400 }, (_, i) => review(i));
    const b = Array.from({ length: 400 }, (_, i) => review(i + 200));
    const [ra, rb] = await Promise.all([insertReviews(db.store, a), insertReviews(db.store, b)]);
    expect(ra.inserted + rb.inserted).toBe(600);
    expect(ra.duplicates + rb.duplicates).toBe(200);
    expect(ra.conflicts.concat(rb.conflicts)).toEqual([]);
    expect(await rowsOf(db)).toHaveLength(600);
  });

  it('a key two concurrent chunks both carry with different bodies is a conflict, whichever commits first', async () => {
    db = await openTestDb(kind);
    for (let round = 0; round < 3; round++) {
      const base = round * 1000;
      const a = Array.from({ length: 300 }, (_, i) => review(base + i));
      const b = Array.from({ length: 300 }, (_, i) => review(base + i + 100, { body: `other body ${base + i + 100}` }));
      const [ra, rb] = await Promise.all([insertReviews(db.store, a), insertReviews(db.store, b)]);
      expect(ra.inserted + rb.inserted).toBe(400);
      expect(ra.conflicts.length + rb.conflicts.length).toBe(200);
      expect(ra.duplicates + rb.duplicates).toBe(0);
    }
  });
});
