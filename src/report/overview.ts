import type { Knex } from 'knex';
import type { CountRow, LanguageRow, Overview, ProductOverviewRow } from './types.js';
import { average, num, ratingsFrom, share, whereReviews, analysisQuery, type Scope } from './scope.js';

const doneSum = (knex: Knex, col: string, statuses: string[]) =>
  knex.raw(`sum(case when ${col} in (${statuses.map(() => '?').join(', ')}) then 1 else 0 end)`, statuses);

type Bucket = {
  rating: unknown;
  month: string | null;
  marketplace: string | null;
  language: string | null;
  tr: unknown;
  trs: string;
  ins: unknown;
  thm: unknown;
  n: unknown;
};
type TrOutcome = 'skipped' | 'converted' | 'translated' | 'pending';

/** Counts by name, largest first; null and '' read as "unknown". */
function countRows(counts: Map<string | null, number>, total: number): CountRow[] {
  const merged = new Map<string, number>();
  for (const [k, n] of counts) {
    const name = k === null || k === '' ? 'unknown' : k;
    merged.set(name, (merged.get(name) ?? 0) + n);
  }
  return [...merged.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([name, reviews]) => ({ name, reviews, share: share(reviews, total) }));
}

const add = <K>(m: Map<K, number>, k: K, n: number) => m.set(k, (m.get(k) ?? 0) + n);

/** Languages by reviews, largest first, with what translation did with each; no language reads `und`. */
function languageRows(counts: Map<string, Record<TrOutcome, number>>, total: number): LanguageRow[] {
  return [...counts.entries()]
    .map(([name, c]) => ({ name, sum: c.skipped + c.converted + c.translated + c.pending, c }))
    .sort((a, b) => b.sum - a.sum || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ name, sum, c }) => ({
      name,
      reviews: sum,
      share: share(sum, total),
      skipped: c.skipped,
      converted: c.converted,
      translated: c.translated,
    }));
}

/**
 * Every figure of the overview from ONE group-by over the scope's reviews (rating x month x marketplace x
 * language x status flags): one pass over the table instead of five; the buckets are few and summed here.
 */
export async function overview(knex: Knex, s: Scope): Promise<Overview> {
  const buckets = (await whereReviews(
    knex('reviews').select({
      rating: 'rating',
      month: knex.raw('substr(review_date, 1, 7)'),
      marketplace: 'marketplace',
      language: 'language',
      tr: knex.raw(`case when tr_status in ('done', 'skipped') then 1 else 0 end`),
      trs: knex.raw(
        `case when tr_status = 'skipped' then 'skipped' when tr_status = 'done' and tr_source = 'opencc' then 'converted' ` +
          `when tr_status = 'done' then 'translated' else 'pending' end`,
      ),
      ins: knex.raw(`case when ins_status = 'done' then 1 else 0 end`),
      thm: knex.raw(`case when thm_status = 'done' then 1 else 0 end`),
      n: knex.raw('count(*)'),
    }),
    s,
  ).groupByRaw('1, 2, 3, 4, 5, 6, 7, 8')) as Bucket[];
  const ratings = ratingsFrom(buckets);
  const months = new Map<string, { n: number; total: number }>();
  const marketplaces = new Map<string | null, number>();
  const languages = new Map<string, Record<TrOutcome, number>>();
  let reviews = 0,
    total = 0,
    translated = 0,
    analysed = 0,
    themed = 0,
    undated = 0;
  for (const b of buckets) {
    const n = num(b.n);
    const rating = num(b.rating);
    reviews += n;
    total += rating * n;
    if (num(b.tr)) translated += n;
    if (num(b.ins)) analysed += n;
    if (num(b.thm)) themed += n;
    if (b.month === null) undated += n;
    else {
      const m = months.get(b.month) ?? { n: 0, total: 0 };
      m.n += n;
      m.total += rating * n;
      months.set(b.month, m);
    }
    add(marketplaces, b.marketplace, n);
    const lang = b.language || 'und';
    const l = languages.get(lang) ?? { skipped: 0, converted: 0, translated: 0, pending: 0 };
    l[b.trs as TrOutcome] += n;
    languages.set(lang, l);
  }
  return {
    reviews,
    averageRating: average(total, reviews),
    ratings,
    byMonth: [...months.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([month, m]) => ({ month, reviews: m.n, averageRating: average(m.total, m.n) ?? 0 })),
    undated,
    translated: { reviews: translated, share: share(translated, reviews) },
    analysed: { reviews: analysed, share: share(analysed, reviews) },
    themed: { reviews: themed, share: share(themed, reviews) },
    marketplaces: countRows(marketplaces, reviews),
    languages: languageRows(languages, reviews),
  };
}

/** `--all`: one row per product, from three group-by queries (reviews, pain points, LLM usage). */
export async function productRows(knex: Knex, s: Scope): Promise<ProductOverviewRow[]> {
  const revRows = (await whereReviews(
    knex('reviews').select({
      id: 'product_id',
      n: knex.raw('count(*)'),
      total: knex.raw('sum(rating)'),
      tr: doneSum(knex, 'tr_status', ['done', 'skipped']),
      ins: doneSum(knex, 'ins_status', ['done']),
    }),
    s,
  ).groupBy('product_id')) as Array<Record<string, unknown>>;
  const painRows = (await analysisQuery(knex, 'insights', 'i', s)
    .select({ id: 'i.product_id' })
    .count({ n: '*' })
    .where('i.type', 'pain_point')
    .groupBy('i.product_id')) as Array<{ id: string; n: unknown }>;
  const costRows = (await knex('llm_usage')
    .select({ id: 'product_id' })
    .sum({ c: 'cost' })
    .whereNotNull('product_id')
    .groupBy('product_id')) as Array<{
    id: string;
    c: unknown;
  }>;
  const products = (await knex('products').select('id', 'title')) as Array<{ id: string; title: string | null }>;
  const titles = new Map(products.map((p) => [p.id, p.title]));
  const pains = new Map(painRows.map((r) => [r.id, num(r.n)]));
  const costs = new Map(costRows.map((r) => [r.id, num(r.c)]));
  const rows = new Map<string, ProductOverviewRow>();
  const blank = (id: string): ProductOverviewRow => ({
    productId: id,
    title: titles.get(id) ?? null,
    reviews: 0,
    averageRating: null,
    translatedShare: 0,
    analysedShare: 0,
    painPoints: pains.get(id) ?? 0,
    cost: Math.round((costs.get(id) ?? 0) * 1e6) / 1e6,
  });
  // a product without reviews in the period still gets its row, so `--all` lists every product
  for (const p of products) rows.set(p.id, blank(p.id));
  for (const r of revRows) {
    const id = String(r.id);
    const n = num(r.n);
    rows.set(id, {
      ...blank(id),
      reviews: n,
      averageRating: average(num(r.total), n),
      translatedShare: share(num(r.tr), n),
      analysedShare: share(num(r.ins), n),
    });
  }
  return [...rows.values()].sort((a, b) => b.reviews - a.reviews || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}
