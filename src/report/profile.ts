import type { Knex } from 'knex';
import type { Comparison, Cost, FiveWRow, PeriodFigures } from './types.js';
import type { LabelRow } from './insights.js';
import { addDays, analysisQuery, average, num, round, share, whereReviews, type Scope } from './scope.js';

export const WS = ['who', 'what', 'when', 'where', 'why'] as const;

/**
 * The 5W profile: per W, each learned label with the share of themed reviews that carry it, from ONE group-by
 * on (w, label_id). The base is the number of reviews whose theme status is done (raised to the largest label
 * count if tags exist without that status), so a share never exceeds 100 %.
 */
export type ThemeGroup = { w: string; label: unknown; reviews: unknown; tags: unknown };

/** Distinct reviews and tags per (w, label_id); the per-review step first keeps it to hash aggregates on PostgreSQL. */
export async function themeGroups(knex: Knex, s: Scope): Promise<ThemeGroup[]> {
  const perReview = analysisQuery(knex, 'themes', 't', s)
    .select({ w: 't.w', label: 't.label_id', review: 't.review_id', n: knex.raw('count(*)') })
    .groupByRaw('1, 2, 3')
    .as('g');
  return (await knex
    .from(perReview)
    .select({ w: 'g.w', label: 'g.label', reviews: knex.raw('count(*)'), tags: knex.raw('sum(g.n)') })
    .groupBy('g.w', 'g.label')) as ThemeGroup[];
}

export function fiveW(groups: ThemeGroup[], labels: LabelRow[], themedDone: number): { base: number; rows: FiveWRow[] } {
  const byId = new Map(labels.map((l) => [l.id, l]));
  const base = Math.max(themedDone, ...groups.map((g) => num(g.reviews)));
  const rows: FiveWRow[] = WS.map((w) => {
    const counts = new Map<string, { reviews: number; nameZh: string | null }>();
    for (const l of labels) if (l.kind === w && !counts.has(l.name)) counts.set(l.name, { reviews: 0, nameZh: l.name_zh });
    let unmappedTags = 0;
    for (const g of groups) {
      if (g.w !== w) continue;
      const label = g.label === null ? undefined : byId.get(num(g.label));
      if (!label) {
        unmappedTags += num(g.tags);
        continue;
      }
      // a relearned label may exist twice under one name: its counts add up
      const c = counts.get(label.name) ?? { reviews: 0, nameZh: label.name_zh };
      c.reviews += num(g.reviews);
      counts.set(label.name, c);
    }
    const list = [...counts.entries()]
      .map(([name, c]) => ({ name, nameZh: c.nameZh, reviews: c.reviews, share: share(c.reviews, base) }))
      .sort((a, b) => b.reviews - a.reviews || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { w, labels: list, base, unmappedTags };
  });
  return { base, rows };
}

/** LLM usage so far (all time: usage rows carry no review date); `null` product sums every call. */
export async function cost(knex: Knex, productId: string | null, currency: string): Promise<Cost> {
  // one pass, split by the usage row's batch flag: realtime calls and Batch API requests
  const of = (expr: string) => knex.raw(`sum(case when batch = ? then ${expr} else 0 end)`, [true]);
  const q = knex('llm_usage').select({
    calls: knex.raw('count(*)'),
    p: knex.raw('sum(prompt_tokens)'),
    c: knex.raw('sum(completion_tokens)'),
    cost: knex.raw('sum(cost)'),
    sim: knex.raw(`sum(case when model like '%-simulated' then 1 else 0 end)`),
    bCalls: of('1'),
    bP: of('prompt_tokens'),
    bC: of('completion_tokens'),
    bCost: of('cost'),
  });
  if (productId !== null) q.where('product_id', productId);
  const r = (await q.first()) as Record<string, unknown> | undefined;
  const promptTokens = num(r?.p);
  const completionTokens = num(r?.c);
  const batch = { calls: num(r?.bCalls), promptTokens: num(r?.bP), completionTokens: num(r?.bC), cost: round(num(r?.bCost), 6) };
  return {
    calls: num(r?.calls),
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cost: round(num(r?.cost), 6),
    currency,
    simulatedCalls: num(r?.sim),
    realtime: {
      calls: num(r?.calls) - batch.calls,
      promptTokens: promptTokens - batch.promptTokens,
      completionTokens: completionTokens - batch.completionTokens,
      cost: round(num(r?.cost) - num(r?.bCost), 6),
    },
    batch,
  };
}

/**
 * `--since`: the period [from, to] against the period of equal length just before it. Two group-bys: reviews
 * by period, pain points by period and dimension.
 */
export async function compare(knex: Knex, productId: string | null, from: string, to: string, days: number): Promise<Comparison> {
  const prevFrom = addDays(from, -days);
  const prevTo = addDays(from, -1);
  const wide: Scope = { productId, from: prevFrom, to };
  const period = knex.raw(`case when review_date >= ? then 'c' else 'p' end`, [from]);
  const revRows = (await whereReviews(
    knex('reviews').select({ period, n: knex.raw('count(*)'), total: knex.raw('sum(rating)') }),
    wide,
  ).groupByRaw('1')) as Array<{ period: string; n: unknown; total: unknown }>;
  const iperiod = knex.raw(`case when r.review_date >= ? then 'c' else 'p' end`, [from]);
  const painRows = (await whereReviews(
    knex('insights as i')
      .join('reviews as r', 'r.id', 'i.review_id')
      .where('i.type', 'pain_point')
      .select({ period: iperiod, dimension: 'i.dimension' })
      .count({ n: '*' }),
    wide,
    'r',
  ).groupByRaw('1, 2')) as Array<{ period: string; dimension: string; n: unknown }>;
  const figures = (p: 'c' | 'p', f: string, t: string): PeriodFigures => {
    const r = revRows.find((x) => x.period === p);
    const n = num(r?.n);
    return {
      from: f,
      to: t,
      reviews: n,
      averageRating: average(num(r?.total), n),
      painPoints: painRows.filter((x) => x.period === p).reduce((a, x) => a + num(x.n), 0),
    };
  };
  const dims = new Map<string, { dimension: string; current: number; previous: number }>();
  for (const r of painRows) {
    const d = dims.get(r.dimension) ?? { dimension: r.dimension, current: 0, previous: 0 };
    if (r.period === 'c') d.current += num(r.n);
    else d.previous += num(r.n);
    dims.set(r.dimension, d);
  }
  return {
    current: figures('c', from, to),
    previous: figures('p', prevFrom, prevTo),
    painPointsByDimension: [...dims.values()].sort(
      (a, b) => b.current - a.current || b.previous - a.previous || (a.dimension < b.dimension ? -1 : a.dimension > b.dimension ? 1 : 0),
    ),
  };
}
