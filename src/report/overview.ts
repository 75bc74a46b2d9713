import type { Knex } from 'knex';
import type { CountRow, Overview, ProductOverviewRow } from './types.js';
import { average, num, ratingsFrom, share, whereReviews, analysisQuery, type Scope } from './scope.js';

const doneSum = (knex: Knex, col: string, statuses: string[]) =>
  knex.raw(`sum(case when ${col} in (${statuses.map(() => '?').join(', ')}) then 1 else 0 end)`, statuses);

/** Counts by a nullable column, largest first; null reads as "unknown". */
async function countBy(knex: Knex, s: Scope, col: 'marketplace' | 'language', total: number): Promise<CountRow[]> {
  const rows = await whereReviews(knex('reviews').select({ name: col }).count({ n: '*' }), s).groupBy(col);
  const merged = new Map<string, number>();
  for (const r of rows as Array<{ name: string | null; n: unknown }>) {
    const name = r.name === null || r.name === '' ? 'unknown' : r.name;
    merged.set(name, (merged.get(name) ?? 0) + num(r.n));
  }
  return [...merged.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([name, reviews]) => ({ name, reviews, share: share(reviews, total) }));
}

/** Every figure of the overview from five group-by queries over the scope's reviews. */
export async function overview(knex: Knex, s: Scope): Promise<Overview> {
  const ratingRows = await whereReviews(knex('reviews').select('rating').count({ n: '*' }), s).groupBy('rating');
  const ratings = ratingsFrom(ratingRows as Array<{ rating: unknown; n: unknown }>);
  const status = (await whereReviews(
    knex('reviews').select({
      n: knex.raw('count(*)'),
      total: knex.raw('sum(rating)'),
      tr: doneSum(knex, 'tr_status', ['done', 'skipped']),
      ins: doneSum(knex, 'ins_status', ['done']),
      thm: doneSum(knex, 'thm_status', ['done']),
      undated: knex.raw('sum(case when review_date is null then 1 else 0 end)'),
    }),
    s,
  ).first()) as Record<string, unknown> | undefined;
  const reviews = num(status?.n);
  const month = knex.raw('substr(review_date, 1, 7)');
  const monthRows = (await whereReviews(
    knex('reviews').select({ month, n: knex.raw('count(*)'), total: knex.raw('sum(rating)') }).whereNotNull('review_date'),
    s,
  )
    .groupBy(month)
    .orderBy(1)) as Array<{ month: string; n: unknown; total: unknown }>;
  const translated = num(status?.tr);
  const analysed = num(status?.ins);
  const themed = num(status?.thm);
  return {
    reviews,
    averageRating: average(num(status?.total), reviews),
    ratings,
    byMonth: monthRows.map((m) => ({ month: m.month, reviews: num(m.n), averageRating: average(num(m.total), num(m.n)) ?? 0 })),
    undated: num(status?.undated),
    translated: { reviews: translated, share: share(translated, reviews) },
    analysed: { reviews: analysed, share: share(analysed, reviews) },
    themed: { reviews: themed, share: share(themed, reviews) },
    marketplaces: await countBy(knex, s, 'marketplace', reviews),
    languages: await countBy(knex, s, 'language', reviews),
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
  const costRows = (await knex('llm_usage').select({ id: 'product_id' }).sum({ c: 'cost' }).whereNotNull('product_id').groupBy('product_id')) as Array<{
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
