import type { Store } from '../../src/store/db.js';

/**
 * A small hand-checked product for report tests, inserted with knex directly (the lanes that normally fill
 * these tables are not involved). Expected figures are worked out in the comments and asserted by the tests.
 *
 * P1: 6 reviews, ratings 5,4,1,2,3,5 (avg 20/6 = 3.33); translated 5 (done x4 + skipped), analysed 4, themed 3.
 * P2: one review, nothing analysed.
 */
export const XSS_SCRIPT = '<script>window.__pwned = 1; alert(1)</script>';
export const XSS_IMG = '<img src=x onerror="window.__pwned = 2; alert(2)">';

interface R {
  rating: number;
  date: string | null;
  mp: string | null;
  lang: string | null;
  tr: string;
  ins: string;
  thm: string;
  body: string;
}

const P1: R[] = [
  { rating: 5, date: '2024-01-10', mp: 'amazon', lang: 'en', tr: 'done', ins: 'done', thm: 'done', body: 'Great battery' },
  { rating: 4, date: '2024-01-20', mp: 'amazon', lang: 'en', tr: 'done', ins: 'done', thm: 'done', body: 'Good but tight' },
  { rating: 1, date: '2024-02-05', mp: 'amazon', lang: 'de', tr: 'done', ins: 'done', thm: 'done', body: XSS_SCRIPT },
  { rating: 2, date: '2024-02-15', mp: 'ebay', lang: 'en', tr: 'skipped', ins: 'done', thm: 'pending', body: XSS_IMG },
  { rating: 3, date: '2024-03-01', mp: 'ebay', lang: null, tr: 'pending', ins: 'pending', thm: 'pending', body: 'ok' },
  { rating: 5, date: null, mp: 'amazon', lang: 'en', tr: 'done', ins: 'pending', thm: 'pending', body: 'love it' },
];

export async function loadReportFixture(store: Store): Promise<{ reviewIds: number[] }> {
  const k = store.knex;
  const t = 1_700_000_000_000;
  await k('products').insert([
    { id: 'P1', title: 'Earbuds <b>X</b>', first_seen_at: t, learn_status: 'done' },
    { id: 'P2', title: null, first_seen_at: t, learn_status: 'none' },
  ]);
  const reviewIds: number[] = [];
  const all = [
    ...P1.map((r) => ({ ...r, p: 'P1' })),
    { rating: 4, date: '2024-05-01', mp: 'amazon', lang: 'en', tr: 'pending', ins: 'pending', thm: 'pending', body: 'fine', p: 'P2' },
  ];
  // one row at a time so ids follow the array order on every database
  for (const [i, r] of all.entries()) {
    const [row] = await k('reviews')
      .insert({
        source_key: `fx|${r.p}|${i}`,
        review_id: String(i),
        product_id: r.p,
        marketplace: r.mp,
        rating: r.rating,
        body: r.body,
        body_hash: `h${i}`,
        review_date: r.date,
        language: r.lang,
        class: 'short',
        body_len: r.body.length,
        created_at: t,
        tr_status: r.tr,
        ins_status: r.ins,
        thm_status: r.thm,
      })
      .returning('id');
    reviewIds.push(typeof row === 'object' ? Number((row as { id: number }).id) : Number(row));
  }
  const labelId = async (kind: string, name: string, nameZh: string | null) => {
    const [row] = await k('product_labels').insert({ product_id: 'P1', kind, name, name_zh: nameZh, learned_at: t }).returning('id');
    return typeof row === 'object' ? Number((row as { id: number }).id) : Number(row);
  };
  await labelId('dimension', 'battery', '电池');
  await labelId('dimension', 'fit', '贴合');
  await labelId('dimension', 'packaging', '包装');
  const parents = await labelId('who', 'parents', '父母');
  const runners = await labelId('who', 'runners', '跑步者');
  const commuting = await labelId('what', 'commuting', '通勤');
  const [r1, r2, r3, r4] = reviewIds;
  const ins = (review: number, type: string, dimension: string, sentiment: string, quote: string, summary: string) => ({
    review_id: review,
    product_id: 'P1',
    type,
    dimension,
    sentiment,
    quote,
    summary_zh: summary,
    created_at: t,
  });
  const insights = [
    ins(r1, 'praise', 'battery', 'positive', 'The battery lasts for days and days', '电池续航长'),
    ins(r1, 'praise', 'fit', 'positive', 'Fits well', '贴合好'),
    ins(r2, 'praise', 'battery', 'positive', 'Battery is good', '电池续航长'),
    ins(r2, 'pain_point', 'fit', 'negative', 'A bit tight on the ear', '有点紧'),
    ins(r3, 'pain_point', 'battery', 'negative', `${XSS_SCRIPT} battery died`, '电池坏了'),
    ins(r3, 'feature_request', 'battery', 'neutral', 'Want a bigger battery', '希望电池更大'),
    ins(r4, 'pain_point', 'battery', 'negative', `${XSS_IMG} battery died fast`, '电池坏了'),
    ins(r4, 'pain_point', 'fit', 'negative', 'Too tight', '有点紧'),
    ins(r4, 'feature_request', 'fit', 'neutral', 'want more sizes', '希望更多尺寸'),
    ins(r4, 'pain_point', 'noise', 'negative', 'Noisy', ''),
  ];
  for (const row of insights) await k('insights').insert(row);
  const thm = (review: number, w: string, tag: string, label: number | null) => ({
    review_id: review,
    product_id: 'P1',
    w,
    tag,
    label_id: label,
    created_at: t,
  });
  await k('themes').insert([
    thm(r1, 'who', 'parents', parents),
    thm(r1, 'what', 'commuting', commuting),
    thm(r2, 'who', 'parents', parents),
    thm(r2, 'what', 'gym', null),
    thm(r3, 'who', 'runners', runners),
    thm(r3, 'where', 'garden', null),
  ]);
  const use = (product: string | null, p: number, c: number, cost: number, model = 'qwen-flash', batch = false) => ({
    ts: t,
    lane: 'translation',
    product_id: product,
    model,
    prompt_tokens: p,
    completion_tokens: c,
    cost,
    status: 'ok',
    batch,
  });
  await k('llm_usage').insert([
    use('P1', 100, 50, 0.001),
    // a Batch API request (the report splits realtime and batch)
    use('P1', 200, 100, 0.002, 'qwen-flash', true),
    use('P2', 10, 5, 0.0001, 'qwen-flash-simulated'),
    use(null, 1, 1, 0.00001),
  ]);
  return { reviewIds };
}
