import { afterEach, describe, expect, it } from 'vitest';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { insertReviews } from '../../src/store/insert.js';
import { up } from '../../src/store/migrations/20261201020000_dates_and_kanji.js';
import type { NewReview } from '../../src/store/reviews.js';

function review(id: string, body: string, reviewDate: string | null): NewReview {
  return {
    sourceKey: `m|${id}`,
    reviewId: id,
    productId: 'P',
    marketplace: null,
    rating: 5,
    title: null,
    body,
    bodyHash: `h-${id}`,
    reviewDate,
    author: null,
    language: 'zh',
    class: 'short',
    bodyLen: body.length,
  };
}

describe.each(DATABASES)('the upgrade to ISO dates and kanji-only Japanese (%s)', (kind) => {
  let db: TestDb;
  afterEach(async () => db && (await db.cleanup()));

  it('rewrites dates stored as written, leaves out what is not a date, and queues the skipped reviews again', async () => {
    db = await openTestDb(kind);
    // as an earlier version stored them (at most 10 characters: PostgreSQL's column took no more)
    await insertReviews(db.store, [
      review('a', '最悪', '03/15/2024'),
      review('b', '很好', '2024-03-15'),
      review('c', 'fine', '15.03.2024'),
      review('d', 'fine', 'last week'),
      review('e', 'fine', null),
    ]);
    await db.store.knex('reviews').whereIn('review_id', ['a', 'b']).update({ tr_status: 'skipped' });
    await up(db.store.knex);
    const rows = await db.store.knex('reviews').orderBy('review_id').select('review_id', 'review_date', 'tr_status');
    expect(rows.map((r) => [r.review_id, r.review_date, r.tr_status])).toEqual([
      ['a', '2024-03-15', 'pending'],
      ['b', '2024-03-15', 'pending'],
      ['c', '2024-03-15', 'pending'],
      ['d', null, 'pending'],
      ['e', null, 'pending'],
    ]);
  });
});
