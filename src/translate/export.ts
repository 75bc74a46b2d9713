import type { Store } from '../store/db.js';

/**
 * Reviews with their translations, streamed by keyset pagination (id > last id), so an export of any size
 * holds one page in memory and works the same on SQLite and PostgreSQL.
 */
export const EXPORT_FIELDS = [
  'review_id',
  'product_id',
  'rating',
  'title',
  'body',
  'title_zh',
  'body_zh',
  'class',
  'translation_status',
  'translation_source',
  'language',
  'review_date',
] as const;
export type ExportRow = Record<(typeof EXPORT_FIELDS)[number], string | number | null>;

/** in_progress is a claim, not an outcome: users see it as pending */
const STATUS: Record<string, string> = { pending: 'pending', in_progress: 'pending', done: 'done', skipped: 'skipped', failed: 'failed' };

/** Which reviews an export covers: one product or all, optionally only those dated on or after `since` (YYYY-MM-DD). */
export interface ExportScope {
  productId?: string | null;
  since?: string | null;
  pageSize?: number;
}

export async function* exportRows(store: Store, o: ExportScope = {}): AsyncGenerator<ExportRow> {
  const size = o.pageSize ?? 1000;
  let last = 0;
  for (;;) {
    const q = store
      .knex('reviews')
      .select(
        'id',
        'review_id',
        'source_key',
        'product_id',
        'rating',
        'title',
        'body',
        'title_zh',
        'body_zh',
        'class',
        'tr_status',
        'tr_source',
        'language',
        'review_date',
      )
      .where('id', '>', last)
      .orderBy('id')
      .limit(size);
    // on SQLite `+col` keeps the planner on the id order instead of sorting the product's index range every page
    if (o.productId) q.andWhere(store.knex.raw(store.dialect === 'sqlite' ? '+product_id = ?' : 'product_id = ?', [o.productId]));
    if (o.since) q.andWhere('review_date', '>=', o.since);
    const page: Array<Record<string, unknown>> = await q;
    for (const r of page) {
      yield {
        review_id: (r.review_id as string | null) ?? (r.source_key as string),
        product_id: r.product_id as string,
        rating: Number(r.rating),
        title: (r.title as string | null) ?? null,
        body: r.body as string,
        title_zh: (r.title_zh as string | null) ?? null,
        body_zh: (r.body_zh as string | null) ?? null,
        class: r.class as string,
        translation_status: STATUS[String(r.tr_status)] ?? String(r.tr_status),
        // llm, cache or opencc (Traditional <-> Simplified, no call); empty until translated
        translation_source: r.tr_status === 'done' ? ((r.tr_source as string | null) ?? null) : null,
        language: (r.language as string | null) ?? null,
        review_date: (r.review_date as string | null) ?? null,
      };
    }
    if (page.length < size) return;
    last = Number(page[page.length - 1].id);
  }
}
