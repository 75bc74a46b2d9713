import type { Store } from '../store/db.js';
import { VocError } from '../errors.js';
import { REPORT_SCHEMA_VERSION, type ReportData, type ReportQuery } from './types.js';
import { chooseScan, daysBetween, isIsoDate, type Scope } from './scope.js';
import { overview, productRows } from './overview.js';
import { dimensions, ranking, type LabelRow } from './insights.js';
import { compare, cost, fiveW, themeGroups } from './profile.js';
import { codeSafe } from './format.js';

const emptyRanking = () => ({ groups: 0, items: [] });

/** Validates `since`/`until` and returns the inclusive period, or nulls when the report covers all time. */
function period(q: ReportQuery): { from: string | null; to: string | null; days: number } {
  if (q.since === undefined || q.since === null || q.since === '') return { from: null, to: null, days: 0 };
  if (!isIsoDate(q.since)) throw new VocError('USAGE', `--since must be a date as YYYY-MM-DD, got "${q.since}"`);
  const to = q.until ?? new Date().toISOString().slice(0, 10);
  if (!isIsoDate(to)) throw new VocError('USAGE', `the end of the period must be a date as YYYY-MM-DD, got "${to}"`);
  if (q.since > to) throw new VocError('USAGE', `--since ${q.since} is after the end of the period (${to})`);
  return { from: q.since, to, days: daysBetween(q.since, to) + 1 };
}

/**
 * Everything a report shows, from group-by queries on the store (never every row): a product's report, or with
 * `all` an overview row per product. Makes no LLM call.
 */
export async function buildReport(store: Store, q: ReportQuery, opts: { currency?: string } = {}): Promise<ReportData> {
  const knex = store.knex;
  const currency = opts.currency ?? 'CNY';
  const top = q.top ?? 10;
  const p = period(q);
  const notices: string[] = [];
  if (q.all) {
    const s: Scope = { productId: null, from: p.from, to: p.to };
    const ov = await overview(knex, s);
    const products = await productRows(knex, s);
    if (products.length === 0) notices.push('The store holds no product yet: ingest reviews with `voc ingest FILE`.');
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      kind: 'all',
      generatedAt: new Date().toISOString(),
      since: p.from,
      product: null,
      hasAnalysis: products.some((x) => x.analysedShare > 0 || x.painPoints > 0),
      notices,
      overview: ov,
      dimensions: [],
      painPoints: emptyRanking(),
      featureRequests: emptyRanking(),
      fiveW: [],
      cost: await cost(knex, null, currency),
      comparison: p.from && p.to ? await compare(knex, null, p.from, p.to, p.days) : null,
      products,
    };
  }
  const id = q.productId;
  if (!id) throw new VocError('USAGE', 'name a product, or pass --all for every product');
  const product = (await knex('products').where('id', id).first('id', 'title', 'learn_status')) as
    { id: string; title: string | null; learn_status: string } | undefined;
  if (!product && !(await knex('reviews').where('product_id', id).first('id'))) {
    throw new VocError('NOT_FOUND', `unknown product "${id}": the store has no review of it`, {
      hint: '`voc report --all` lists every product',
    });
  }
  const s: Scope = { productId: id, from: p.from, to: p.to, scan: !p.from && (await chooseScan(knex, store.dialect, id)) };
  // (a --since period is a range of the (product, date) index: reading only that range beats any scan)
  const labels = (await knex('product_labels').where('product_id', id).orderBy('id').select('id', 'kind', 'name', 'name_zh')) as LabelRow[];
  // independent sections: on PostgreSQL they run on separate pooled connections at once; SQLite's single
  // connection takes them in turn
  const [ov, dims, painPoints, featureRequests, themes, usage, comparison] = await Promise.all([
    overview(knex, s),
    dimensions(knex, s, labels),
    ranking(knex, s, 'pain_point', top),
    ranking(knex, s, 'feature_request', top),
    themeGroups(knex, s),
    cost(knex, id, currency),
    p.from && p.to ? compare(knex, id, p.from, p.to, p.days) : Promise.resolve(null),
  ]);
  const profile = fiveW(themes, labels, ov.themed.reviews);
  const insightCount = dims.reduce((a, d) => a + d.insights, 0);
  const hasAnalysis = labels.length > 0 || insightCount > 0 || profile.base > 0;
  if (!hasAnalysis)
    notices.push(
      `No analysis yet for ${codeSafe(id)}: no learned dimensions, insights or themes. Run \`voc analyze ${codeSafe(id)}\` to create them.`,
    );
  else if (ov.reviews > 0 && ov.analysed.reviews < ov.reviews) {
    notices.push(`Insights cover ${ov.analysed.reviews} of ${ov.reviews} reviews; figures below describe the analysed part.`);
  }
  if (p.from && ov.reviews === 0) notices.push(`No review of ${codeSafe(id)} is dated between ${p.from} and ${p.to}.`);
  else if (!p.from && ov.reviews === 0) notices.push(`The store holds no review of ${codeSafe(id)} yet.`);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: 'product',
    generatedAt: new Date().toISOString(),
    since: p.from,
    product: { id, title: product?.title ?? null, learnStatus: product?.learn_status ?? 'none' },
    hasAnalysis,
    notices,
    overview: ov,
    dimensions: dims,
    painPoints,
    featureRequests,
    fiveW: profile.rows,
    cost: usage,
    comparison,
    products: null,
  };
}
