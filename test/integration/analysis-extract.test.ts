import { afterEach, describe, expect, it } from 'vitest';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { fakeGateway, makeCtx, review, seed, userPayload } from './analysis-fixtures.js';
import { createAnalysisService } from '../../src/analysis/service.js';
import { insertReviews } from '../../src/store/insert.js';
import { insightRows, themeRows } from '../helpers/analysis-rows.js';
import { listLabels } from '../../src/store/labels.js';
import type { LlmRequest } from '../../src/llm/types.js';
import { answerFor } from '../../src/llm/simulator/answers.js';

const noop = () => {};

/** Count transactions that wrote rows of a table (knex tags every query of a transaction with its id). */
function countWriteTransactions(db: TestDb, table: string): { ids: Set<string>; statusTx: Set<string>; off: () => void } {
  const ids = new Set<string>();
  const statusTx = new Set<string>();
  const col = table === 'insights' ? 'ins_status' : 'thm_status';
  const listener = (q: { sql: string; __knexTxId?: string }) => {
    if (!q.__knexTxId) return;
    if (new RegExp(`^insert into [\`"]?${table}[\`"]? `, 'i').test(q.sql)) ids.add(q.__knexTxId);
    if (/^update [`"]?reviews[`"]? set/i.test(q.sql) && q.sql.includes(`${col}`) && q.sql.includes(`${col.slice(0, 3)}_at`))
      statusTx.add(q.__knexTxId);
  };
  db.store.knex.on('query', listener);
  return { ids, statusTx, off: () => db.store.knex.removeListener('query', listener) };
}

describe.each(DATABASES)('insights and themes on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db && (await db.cleanup()));

  it('analyses every review of a product: insights with real quotes, themes mapped to the learned labels', async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'P1', 12);
    const gw = fakeGateway(db.config);
    const ctx = makeCtx(db.config, db.store, gw);
    const svc = createAnalysisService(ctx);
    const summary = await svc.runJob({ id: 1, kind: 'analyze', productId: 'P1', params: {} }, noop);
    await svc.stop!();
    expect(summary).toMatchObject({ reviews: 12, failed: 0, droppedQuotes: 0 });
    expect(summary.insights).toBeGreaterThan(12);
    const rows = await db.store.knex('reviews').select('id', 'body', 'ins_status', 'thm_status');
    for (const r of rows) {
      expect([r.ins_status, r.thm_status]).toEqual(['done', 'done']);
      for (const i of await insightRows(db.store, r.id)) expect(r.body).toContain(i.quote);
    }
    const labels = await listLabels(db.store, 'P1');
    const dims = new Set(labels.filter((l) => l.kind === 'dimension').map((l) => l.name));
    const all = await db.store.knex('insights').select('dimension');
    for (const i of all) expect(dims.has(i.dimension) || i.dimension === 'other').toBe(true);
    const mapped = await db.store.knex('themes').whereNotNull('label_id').count<{ n: number }[]>({ n: '*' }).first();
    expect(Number(mapped!.n)).toBeGreaterThan(0);
    const c = ctx.counters.analysis;
    expect(c).toMatchObject({
      learned: 1,
      reviewsAnalysed: 12,
      insights: summary.insights,
      themes: summary.themes,
      unmappedTags: summary.unmapped,
    });
    expect(c.insightsPerReview).toBeCloseTo((summary.insights as number) / 12, 1);
    expect(summary.calls).toBeGreaterThan(0);
    expect(summary.promptTokens).toBe((summary.calls as number) * 100);
  });

  it('a made-up quote is dropped and counted; a real one is kept', async () => {
    db = await openTestDb(kind);
    await insertReviews(db.store, [review(db.config, 'P1', 1, 'The <b>lid</b> broke   after a week. Otherwise fine and   tasty.')]);
    const answer = (req: LlmRequest) => {
      if (req.task !== 'insights') return undefined;
      const keys = Object.keys((userPayload(req) as { reviews: Record<string, string> }).reviews);
      const one = [
        {
          type: 'pain_point',
          dimension: 'nonexistent',
          sentiment: 'negative',
          quote: 'THE LID broke after a week.',
          summary_zh: '盖子坏了',
        },
        { type: 'praise', dimension: 'taste', sentiment: 'positive', quote: 'It is the best thing I ever bought', summary_zh: '编造' },
      ];
      return JSON.stringify(Object.fromEntries(keys.map((k) => [k, one])));
    };
    const ctx = makeCtx(db.config, db.store, fakeGateway(db.config, answer));
    const svc = createAnalysisService(ctx);
    const summary = await svc.runJob({ id: 1, kind: 'analyze', productId: 'P1', params: {} }, noop);
    const r = await db.store.knex('reviews').first('id');
    const kept = await insightRows(db.store, r.id);
    expect(kept.map((k) => k.quote)).toEqual(['THE LID broke after a week.']);
    expect(kept[0].dimension).toBe('other');
    expect(summary).toMatchObject({ insights: 1, droppedQuotes: 1 });
    expect(ctx.counters.analysis.droppedQuotes).toBe(1);
  });

  it('batched answers land on the right reviews, also when a batch answer misses a key and is split', async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'P1', 30, 'short');
    let dropped = 0;
    const answer = (req: LlmRequest) => {
      if (req.task === 'learn') return undefined;
      const content = answerFor(req.task, req.messages).content;
      const obj = JSON.parse(content) as Record<string, unknown>;
      const keys = Object.keys(obj);
      if (keys.length > 1 && dropped < 3) {
        dropped++;
        // a shuffled answer with one key missing: must never be stored against the wrong review
        const vals = keys.map((k) => obj[k]).reverse();
        return JSON.stringify(Object.fromEntries(keys.slice(1).map((k, i) => [k, vals[i]])));
      }
      return content;
    };
    const gw = fakeGateway(db.config, answer);
    const ctx = makeCtx(db.config, db.store, gw);
    const svc = createAnalysisService(ctx);
    const summary = await svc.runJob({ id: 1, kind: 'analyze', productId: 'P1', params: {} }, noop);
    expect(summary).toMatchObject({ reviews: 30, failed: 0 });
    const ins = gw.calls.filter((c) => c.task === 'insights');
    expect(ins.some((c) => c.items === 10)).toBe(true);
    expect(ins.length).toBeLessThan(30);
    for (const r of await db.store.knex('reviews').select('id', 'body')) {
      const got = await insightRows(db.store, r.id);
      expect(got.length).toBeGreaterThan(0);
      for (const i of got) expect(r.body).toContain(i.quote);
    }
  });

  it('invalid structured answers are retried, then the review is marked failed with the reason', async () => {
    db = await openTestDb(kind, { 'analysis.maxAttempts': 2 });
    await seed(db.config, db.store, 'P1', 7, 'short');
    const answer = (req: LlmRequest) => (req.task === 'learn' ? undefined : '{"r1": "this is not a list", "oops": ');
    const gw = fakeGateway(db.config, answer);
    const ctx = makeCtx(db.config, db.store, gw);
    const svc = createAnalysisService(ctx);
    const summary = await svc.runJob({ id: 1, kind: 'analyze', productId: 'P1', params: {} }, noop);
    expect(summary).toMatchObject({ failed: 14, insights: 0, themes: 0 });
    const rows = await db.store
      .knex('reviews')
      .select('ins_status', 'ins_error', 'ins_attempts', 'thm_status', 'thm_error', 'thm_attempts');
    for (const r of rows) {
      expect(r).toMatchObject({ ins_status: 'failed', thm_status: 'failed', ins_attempts: 2, thm_attempts: 2 });
      expect(r.ins_error).toMatch(/not JSON/);
      expect(r.thm_error).toMatch(/not JSON/);
    }
    // every attempt went down to single-review calls before giving up: 7 reviews x 2 attempts at least, per lane
    expect(gw.calls.filter((c) => c.task === 'insights' && c.items === 1).length).toBe(14);
  });

  it('100 reviews analysed are written in 5 transactions per lane, not 100', async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'P1', 100);
    const ctx = makeCtx(db.config, db.store, fakeGateway(db.config));
    const svc = createAnalysisService(ctx);
    const ins = countWriteTransactions(db, 'insights');
    const thm = countWriteTransactions(db, 'themes');
    const summary = await svc.runJob({ id: 1, kind: 'analyze', productId: 'P1', params: {} }, noop);
    ins.off();
    thm.off();
    expect(summary.reviews).toBe(100);
    expect(ins.ids.size).toBe(5);
    expect(thm.ids.size).toBe(5);
    // the status updates commit in the same transactions as the rows
    expect([...ins.statusTx].sort()).toEqual([...ins.ids].sort());
    expect([...thm.statusTx].sort()).toEqual([...thm.ids].sort());
  });

  it('--force redoes a product: old rows replaced, not doubled; without force nothing is redone', async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'P1', 10);
    const gw = fakeGateway(db.config);
    const ctx = makeCtx(db.config, db.store, gw);
    const svc = createAnalysisService(ctx);
    const first = await svc.runJob({ id: 1, kind: 'analyze', productId: 'P1', params: {} }, noop);
    const calls = gw.calls.length;
    const again = await svc.runJob({ id: 2, kind: 'analyze', productId: 'P1', params: {} }, noop);
    expect(again).toMatchObject({ reviews: 0, calls: 0 });
    expect(gw.calls.length).toBe(calls);
    const forced = await svc.runJob({ id: 3, kind: 'analyze', productId: 'P1', params: { force: true } }, noop);
    expect(forced).toMatchObject({ reviews: 10, insights: first.insights });
    const n = await db.store.knex('insights').count<{ n: number }[]>({ n: '*' }).first();
    expect(Number(n!.n)).toBe(first.insights);
  });

  it('tags that match no label are stored unmapped with their text and counted', async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'P1', 3);
    const answer = (req: LlmRequest) => {
      if (req.task !== 'themes') return undefined;
      const p = userPayload(req) as { labels: Record<string, string[]>; reviews: Record<string, string> };
      const who = p.labels.who[0];
      return JSON.stringify(
        Object.fromEntries(Object.keys(p.reviews).map((k) => [k, { who: [`  ${who.toUpperCase()} `, 'Night shift nurses'], why: [] }])),
      );
    };
    const ctx = makeCtx(db.config, db.store, fakeGateway(db.config, answer));
    const svc = createAnalysisService(ctx);
    const summary = await svc.runJob({ id: 1, kind: 'analyze', productId: 'P1', params: {} }, noop);
    expect(summary).toMatchObject({ themes: 6, unmapped: 3 });
    const r = await db.store.knex('reviews').first('id');
    const tags = await themeRows(db.store, r.id);
    expect(tags.find((t) => t.tag === 'Night shift nurses')!.label_id).toBeNull();
    expect(tags.find((t) => t.tag !== 'Night shift nurses')!.label_id).not.toBeNull();
    expect(ctx.counters.analysis.unmappedTags).toBe(3);
  });
});
