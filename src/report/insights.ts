import type { Knex } from 'knex';
import type { DimensionRow, Quote, Ranking, RankedItem } from './types.js';
import { analysisQuery, num, round, whereProduct, type Scope } from './scope.js';

export interface LabelRow {
  id: number;
  kind: string;
  name: string;
  name_zh: string | null;
}

// when two sentiments are equally common, the negative one is the more useful to quote
const SENTIMENT_ORDER = ['negative', 'positive', 'neutral'];

// the insight type whose quotes carry each sentiment best; it also lets the (product, dimension, type) index
// read only that slice of a dimension instead of all its rows
const TYPE_FOR: Record<string, string | null> = { negative: 'pain_point', positive: 'praise', neutral: null };

/**
 * The longest distinct quotes of one dimension and sentiment (long quotes carry the reason, not just the mood),
 * taken from the matching type first (pain points for negative, praise for positive), any type otherwise.
 */
async function quotesFor(knex: Knex, s: Scope, dimension: string, sentiment: string): Promise<Quote[]> {
  const fetch = async (type: string | null) => {
    // a slice of one dimension: the (product, dimension, type) index is the fast path here, never a scan
    const q = analysisQuery(knex, 'insights', 'i', { ...s, scan: false })
      .select('i.quote', 'i.summary_zh', 'i.sentiment', 'i.type')
      .where('i.dimension', dimension)
      .where('i.sentiment', sentiment)
      .orderByRaw('length(i.quote) desc, i.id asc')
      .limit(12);
    if (type) q.where('i.type', type);
    return (await q) as Array<{ quote: string; summary_zh: string; sentiment: string; type: string }>;
  };
  const type = TYPE_FOR[sentiment] ?? null;
  let rows = await fetch(type);
  if (rows.length < 3 && type) rows = await fetch(null);
  const seen = new Set<string>();
  const out: Quote[] = [];
  for (const r of rows) {
    const key = r.quote.trim().toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ quote: r.quote, summaryZh: r.summary_zh, sentiment: r.sentiment, type: r.type });
    if (out.length === 3) break;
  }
  return out;
}

/** Per dimension: insight counts by type and sentiment (one group-by), then three quotes each. */
export async function dimensions(knex: Knex, s: Scope, labels: LabelRow[]): Promise<DimensionRow[]> {
  const rows = (await analysisQuery(knex, 'insights', 'i', s)
    .select({ dimension: 'i.dimension', type: 'i.type', sentiment: 'i.sentiment' })
    .count({ n: '*' })
    .groupBy('i.dimension', 'i.type', 'i.sentiment')) as Array<{ dimension: string; type: string; sentiment: string; n: unknown }>;
  const byName = new Map<string, DimensionRow>();
  const row = (name: string): DimensionRow => {
    let d = byName.get(name);
    if (!d) {
      d = {
        name,
        nameZh: null,
        learned: false,
        insights: 0,
        painPoints: 0,
        praise: 0,
        positive: 0,
        neutral: 0,
        negative: 0,
        netSentiment: null,
        quotes: [],
      };
      byName.set(name, d);
    }
    return d;
  };
  for (const l of labels)
    if (l.kind === 'dimension') Object.assign(row(l.name), { learned: true, nameZh: l.name_zh ?? row(l.name).nameZh });
  for (const r of rows) {
    const d = row(r.dimension);
    const n = num(r.n);
    d.insights += n;
    if (r.type === 'pain_point') d.painPoints += n;
    if (r.type === 'praise') d.praise += n;
    if (r.sentiment === 'positive') d.positive += n;
    else if (r.sentiment === 'negative') d.negative += n;
    else d.neutral += n;
  }
  const list = [...byName.values()].sort((a, b) => b.insights - a.insights || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // one small indexed query per dimension; PostgreSQL runs them side by side
  await Promise.all(
    list
      .filter((d) => d.insights > 0)
      .map(async (d) => {
        d.netSentiment = round((d.positive - d.negative) / d.insights, 4);
        const counts: Record<string, number> = { negative: d.negative, positive: d.positive, neutral: d.neutral };
        const top = [...SENTIMENT_ORDER].sort(
          (a, b) => counts[b] - counts[a] || SENTIMENT_ORDER.indexOf(a) - SENTIMENT_ORDER.indexOf(b),
        )[0];
        d.quotes = await quotesFor(knex, s, d.name, top);
      }),
  );
  return list;
}

/**
 * Pain points or feature requests grouped by dimension + Chinese summary (the normalised quote when the summary
 * is empty), ranked by distinct reviews; the star ratings of those reviews come from the same group-by. Ties
 * break on the group's first insight id, which every database orders alike (text collations do not).
 */
export async function ranking(knex: Knex, s: Scope, type: 'pain_point' | 'feature_request', top: number): Promise<Ranking> {
  const key = knex.raw(`coalesce(nullif(i.summary_zh, ''), lower(trim(i.quote)))`);
  const base = () => {
    const q = knex('insights as i').join('reviews as r', 'r.id', 'i.review_id').where('i.type', type);
    whereProduct(q, 'i.product_id', s);
    if (s.from !== null) q.where('r.review_date', '>=', s.from);
    if (s.to !== null) q.where('r.review_date', '<=', s.to);
    return q;
  };
  // first one row per (group, review), then plain sums: one distinct step instead of six count(distinct)s,
  // which PostgreSQL would each answer with a sort
  const perReview = base()
    .select({ dimension: 'i.dimension', k: key, review: 'i.review_id', rating: 'r.rating', first: knex.raw('min(i.id)') })
    .groupByRaw('1, 2, 3, 4')
    .as('g');
  const stars = Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`r${n}`, knex.raw(`sum(case when g.rating = ${n} then 1 else 0 end)`)]));
  const rows = (await knex
    .from(perReview)
    // count(*) over () is the number of groups, computed in the same pass before the limit applies
    .select({
      dimension: 'g.dimension',
      k: 'g.k',
      reviews: knex.raw('count(*)'),
      first: knex.raw('min(g.first)'),
      groups: knex.raw('count(*) over ()'),
      ...stars,
    })
    .groupBy('g.dimension', 'g.k')
    .orderByRaw('count(*) desc, min(g.first) asc')
    .limit(top)) as Array<Record<string, unknown>>;
  const firstIds = rows.map((r) => num(r.first));
  const firsts = firstIds.length
    ? ((await knex('insights').select('id', 'quote', 'summary_zh').whereIn('id', firstIds)) as Array<{
        id: number;
        quote: string;
        summary_zh: string;
      }>)
    : [];
  const byId = new Map(firsts.map((f) => [num(f.id), f]));
  const items: RankedItem[] = rows.map((r, i) => {
    const f = byId.get(num(r.first));
    return {
      rank: i + 1,
      dimension: String(r.dimension),
      key: String(r.k),
      summaryZh: f?.summary_zh ?? '',
      quote: f?.quote ?? '',
      reviews: num(r.reviews),
      ratings: { '1': num(r.r1), '2': num(r.r2), '3': num(r.r3), '4': num(r.r4), '5': num(r.r5) },
    };
  });
  return { groups: num(rows[0]?.groups), items };
}
