import type { Knex } from 'knex';
import type { Store } from '../store/db.js';
import type { ExportScope } from '../translate/export.js';

/**
 * The analysis per review, one row per insight or per 5W tag, each carrying its review's rating and date so a
 * spreadsheet can pivot by dimension, sentiment, label, rating and month without a lookup. Streamed by keyset
 * pagination on the analysis table's id, like the reviews export.
 */
export const INSIGHT_FIELDS = [
  'review_id',
  'product_id',
  'rating',
  'review_date',
  'month',
  'dimension',
  'dimension_zh',
  'type',
  'sentiment',
  'quote',
  'summary_zh',
] as const;
export const THEME_FIELDS = ['review_id', 'product_id', 'rating', 'review_date', 'month', 'w', 'tag', 'label', 'label_zh'] as const;
export type InsightRow = Record<(typeof INSIGHT_FIELDS)[number], string | number | null>;
export type ThemeRow = Record<(typeof THEME_FIELDS)[number], string | number | null>;

type Table = 'insights' | 'themes';

/** Rows of one analysis table joined to their review, a page at a time; `cols` are the table's own columns. */
async function* pages(
  store: Store,
  table: Table,
  cols: string[],
  o: ExportScope,
  join?: (q: Knex.QueryBuilder) => void,
): AsyncGenerator<Record<string, unknown>> {
  const size = o.pageSize ?? 1000;
  let last = 0;
  for (;;) {
    const q = store
      .knex(`${table} as a`)
      .join('reviews as r', 'r.id', 'a.review_id')
      .select('a.id', 'r.review_id as source_id', 'r.source_key', 'a.product_id', 'r.rating', 'r.review_date', ...cols.map((c) => `a.${c}`))
      .where('a.id', '>', last)
      .orderBy('a.id')
      .limit(size);
    join?.(q);
    // SQLite would read the product through its index and sort it all for every page; `+col` keeps it walking the
    // ids from the last page on, so the whole export reads the table once
    if (o.productId) q.andWhere(store.knex.raw(store.dialect === 'sqlite' ? '+a.product_id = ?' : 'a.product_id = ?', [o.productId]));
    if (o.since) q.andWhere('r.review_date', '>=', o.since);
    const page: Array<Record<string, unknown>> = await q;
    yield* page;
    if (page.length < size) return;
    last = Number(page[page.length - 1].id);
  }
}

/** The columns every analysis row starts with: which review, its product, rating, date and month. */
function reviewPart(r: Record<string, unknown>) {
  const date = (r.review_date as string | null) ?? null;
  return {
    review_id: (r.source_id as string | null) ?? (r.source_key as string),
    product_id: r.product_id as string,
    rating: Number(r.rating),
    review_date: date,
    month: date ? date.slice(0, 7) : null,
  };
}

export async function* insightExportRows(store: Store, o: ExportScope = {}): AsyncGenerator<InsightRow> {
  // a product's learned dimensions are few: one lookup per product instead of a join per row
  const zh = new Map<string, Map<string, string | null>>();
  const dimensionZh = async (productId: string, name: string): Promise<string | null> => {
    let names = zh.get(productId);
    if (!names) {
      const labels = await store.knex('product_labels').where({ product_id: productId, kind: 'dimension' }).select('name', 'name_zh');
      names = new Map(labels.map((l: { name: string; name_zh: string | null }) => [l.name, l.name_zh]));
      zh.set(productId, names);
    }
    return names.get(name) ?? null;
  };
  for await (const r of pages(store, 'insights', ['dimension', 'type', 'sentiment', 'quote', 'summary_zh'], o)) {
    const base = reviewPart(r);
    yield {
      ...base,
      dimension: r.dimension as string,
      dimension_zh: await dimensionZh(base.product_id, r.dimension as string),
      type: r.type as string,
      sentiment: r.sentiment as string,
      quote: r.quote as string,
      summary_zh: (r.summary_zh as string) || null,
    };
  }
}

export async function* themeExportRows(store: Store, o: ExportScope = {}): AsyncGenerator<ThemeRow> {
  const withLabel = (q: Knex.QueryBuilder) =>
    void q.leftJoin('product_labels as l', 'l.id', 'a.label_id').select('l.name as label', 'l.name_zh as label_zh');
  for await (const r of pages(store, 'themes', ['w', 'tag'], o, withLabel)) {
    yield {
      ...reviewPart(r),
      w: r.w as string,
      tag: r.tag as string,
      label: (r.label as string | null) ?? null,
      label_zh: (r.label_zh as string | null) ?? null,
    };
  }
}

/** Whether the scope has any analysis of this kind, so a workbook only gets the sheets that have rows. */
export async function hasAnalysis(store: Store, table: Table, o: ExportScope): Promise<boolean> {
  const first = await pages(store, table, [], { ...o, pageSize: 1 }).next();
  return !first.done;
}
