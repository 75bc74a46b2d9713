import { afterEach, describe, expect, it } from 'vitest';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { fakeGateway, makeCtx, seed, userPayload, directLanes } from './analysis-fixtures.js';
import { createLabelCache } from '../../src/analysis/label-cache.js';
import { learnProduct } from '../../src/analysis/learn.js';
import { claimLearn, learnState, listLabels } from '../../src/store/labels.js';
import type { LaneTask } from '../../src/lanes/types.js';

const cacheFor = (ctx: ReturnType<typeof makeCtx>) =>
  createLabelCache({ store: ctx.store, redis: null, keyPrefix: '', ttlSec: 60, size: 10, stats: ctx.counters.analysis });

describe.each(DATABASES)('learning on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db && (await db.cleanup()));

  it('learns dimensions and 5W labels from a sample spread over ratings, on the learning lane', async () => {
    db = await openTestDb(kind, { 'analysis.learnSampleSize': 10 });
    await seed(db.config, db.store, 'P1', 30);
    const gw = fakeGateway(db.config);
    const tasks: LaneTask<unknown>[] = [];
    const ctx = makeCtx(db.config, db.store, gw, { lanes: directLanes(tasks) });
    const r = await learnProduct(ctx, cacheFor(ctx), 'P1', { jobId: 3 });
    expect(r.outcome).toBe('learned');
    expect(tasks.map((t) => t.lane)).toEqual(['learning']);
    expect(gw.calls).toHaveLength(1);
    expect(gw.calls[0]).toMatchObject({ lane: 'learning', task: 'learn', json: true, productId: 'P1', jobId: 3 });
    expect(gw.calls[0].messages[0].content).toContain('JSON');
    const payload = userPayload(gw.calls[0]) as { reviews: Array<{ rating: number; text: string }> };
    expect(payload.reviews).toHaveLength(10);
    expect(new Set(payload.reviews.map((x) => x.rating))).toEqual(new Set([1, 2, 3, 4, 5]));
    const labels = await listLabels(db.store, 'P1');
    expect(labels.filter((l) => l.kind === 'dimension').length).toBeGreaterThan(0);
    for (const w of ['who', 'what', 'when', 'where', 'why']) expect(labels.some((l) => l.kind === w)).toBe(true);
    const state = await learnState(db.store, 'P1');
    expect(state).toMatchObject({ status: 'done', error: null });
    expect(state!.learnedAt).toBeLessThanOrEqual(Date.now());
    expect(ctx.counters.analysis.learned).toBe(1);
  });

  it('uses the translated text of a review when there is one', async () => {
    db = await openTestDb(kind, { 'analysis.learnSampleSize': 5 });
    await seed(db.config, db.store, 'P1', 5);
    await db.store.knex('reviews').update({ body_zh: '中文译文' });
    const gw = fakeGateway(db.config);
    const ctx = makeCtx(db.config, db.store, gw);
    await learnProduct(ctx, cacheFor(ctx), 'P1');
    const payload = userPayload(gw.calls[0]) as { reviews: Array<{ text: string }> };
    expect(payload.reviews.every((x) => x.text === '中文译文')).toBe(true);
  });

  it('retries an invalid answer, then marks the product failed with the reason', async () => {
    db = await openTestDb(kind, { 'analysis.maxAttempts': 3 });
    await seed(db.config, db.store, 'P1', 8);
    const gw = fakeGateway(db.config, () => JSON.stringify({ dimensions: [], labels: {} }));
    const ctx = makeCtx(db.config, db.store, gw);
    const r = await learnProduct(ctx, cacheFor(ctx), 'P1');
    expect(r.outcome).toBe('failed');
    expect(gw.calls).toHaveLength(3);
    const state = await learnState(db.store, 'P1');
    expect(state!.status).toBe('failed');
    expect(state!.error).toMatch(/invalid learning answer.*after 3 attempts/);
    expect(await listLabels(db.store, 'P1')).toEqual([]);
  });

  it('recovers from one malformed answer within its attempts', async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'P1', 8);
    const gw = fakeGateway(db.config, (_req, n) => (n === 1 ? 'not json at all' : undefined));
    const ctx = makeCtx(db.config, db.store, gw);
    const r = await learnProduct(ctx, cacheFor(ctx), 'P1');
    expect(r).toMatchObject({ outcome: 'learned', attempts: 2 });
  });

  it('a learned product is not learned again without force; force replaces the labels in one go', async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'P1', 8);
    const gw = fakeGateway(db.config);
    const ctx = makeCtx(db.config, db.store, gw);
    const cache = cacheFor(ctx);
    await learnProduct(ctx, cache, 'P1');
    const first = await listLabels(db.store, 'P1');
    expect((await learnProduct(ctx, cache, 'P1')).outcome).toBe('already');
    expect(gw.calls).toHaveLength(1);
    const r = await learnProduct(ctx, cache, 'P1', { force: true });
    expect(r.outcome).toBe('learned');
    const second = await listLabels(db.store, 'P1');
    expect(second.length).toBe(first.length);
    expect(Math.min(...second.map((l) => l.id))).toBeGreaterThan(Math.max(...first.map((l) => l.id)));
  });

  it('only one claimant wins a product; an expired claim is taken over', async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'P1', 8);
    const claims = await Promise.all([1, 2, 3].map(() => claimLearn(db.store, 'P1', { leaseMs: 60000 })));
    expect(claims.filter((c) => c != null)).toHaveLength(1);
    await db.store
      .knex('products')
      .where({ id: 'P1' })
      .update({ learned_at: Date.now() - 1 });
    expect(await claimLearn(db.store, 'P1', { leaseMs: 60000 })).not.toBeNull();
  });

  it('relearning invalidates the cached label map', async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'P1', 8);
    const gw = fakeGateway(db.config);
    const ctx = makeCtx(db.config, db.store, gw);
    const cache = cacheFor(ctx);
    await learnProduct(ctx, cache, 'P1');
    const before = await cache.get('P1');
    await learnProduct(ctx, cache, 'P1', { force: true });
    const after = await cache.get('P1');
    expect(Object.values(after.dimension)).not.toEqual(Object.values(before.dimension));
  });
});
