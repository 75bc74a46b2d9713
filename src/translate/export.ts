import type { Store } from '../store/db.js';

/**
 * Reviews with their translations, streamed by keyset pagination (id > last id), so an export of any size
 * holds one page in memory and works the same on SQLite and PostgreSQL.
 */
export const EXPORT_FIELDS = ['review_id', 'product_id', 'rating', 'title', 'body', 'title_zh', 'body_zh', 'class', 'translation_status', 'translation_source', 'language', 'review_date'] as const;
export type ExportRow = Record<(typeof EXPORT_FIELDS)[number], string | number | null>;
export type ExportFormat = 'csv' | 'ndjson' | 'json';

/** in_progress is a claim, not an outcome: users see it as pending */
const STATUS: Record<string, string> = { pending: 'pending', in_progress: 'pending', done: 'done', skipped: 'skipped', failed: 'failed' };

export async function* exportRows(store: Store, o: { productId?: string | null; pageSize?: number } = {}): AsyncGenerator<ExportRow> {
  const size = o.pageSize ?? 1000;
  let last = 0;
  for (;;) {
    const q = store
      .knex('reviews')
      .select('id', 'review_id', 'source_key', 'product_id', 'rating', 'title', 'body', 'title_zh', 'body_zh', 'class', 'tr_status', 'tr_source', 'language', 'review_date')
      .where('id', '>', last)
      .orderBy('id')
      .limit(size);
    if (o.productId) q.andWhere('product_id', o.productId);
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

/** RFC 4180: quote fields with a comma, quote or line break; double the quotes. Formula-looking cells are kept as-is. */
export function csvCell(v: string | number | null): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Text chunks of the export in the chosen format: header/opening, one per row, closing. */
export async function* exportText(rows: AsyncIterable<ExportRow>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield EXPORT_FIELDS.join(',') + '\r\n';
  if (format === 'json') yield '[';
  let first = true;
  for await (const r of rows) {
    if (format === 'csv') yield EXPORT_FIELDS.map((f) => csvCell(r[f])).join(',') + '\r\n';
    else if (format === 'ndjson') yield JSON.stringify(r) + '\n';
    else {
      yield (first ? '\n' : ',\n') + JSON.stringify(r);
      first = false;
    }
  }
  if (format === 'json') yield first ? ']\n' : '\n]\n';
}
