import type { InsightItem, WKey } from '../../src/domain.js';
import type { Store } from '../../src/store/db.js';

/** What the analysis stored for one review, read back for the tests' assertions. */
export async function insightRows(store: Store, reviewId: number): Promise<Array<InsightItem & { id: number }>> {
  return store
    .knex('insights')
    .where({ review_id: reviewId })
    .orderBy('id')
    .select('id', 'type', 'dimension', 'sentiment', 'quote', 'summary_zh');
}

export async function themeRows(
  store: Store,
  reviewId: number,
): Promise<Array<{ id: number; w: WKey; tag: string; label_id: number | null }>> {
  return store.knex('themes').where({ review_id: reviewId }).orderBy('id').select('id', 'w', 'tag', 'label_id');
}
