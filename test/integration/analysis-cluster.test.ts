import { afterEach, describe, expect, it } from 'vitest';
import { DATABASES, openTestDb, type TestDb } from '../helpers/databases.js';
import { fakeGateway, makeCtx, seed } from './analysis-fixtures.js';
import { createAnalysisService } from '../../src/analysis/service.js';
import { learnProduct } from '../../src/analysis/learn.js';
import { openStore } from '../../src/store/db.js';

const noop = () => {};

describe.each(DATABASES)('analysis shared by several daemons on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db && (await db.cleanup()));

  it('two daemons running the same analyze job analyse every review exactly once', async () => {
    db = await openTestDb(kind, { 'analysis.chunkSize': 10 });
    await seed(db.config, db.store, 'P1', 60);
    // SQLite has one writer; a second connection is the second daemon's store
    const store2 = kind === 'pg' ? await openStore(db.config) : db.store;
    const a = makeCtx(db.config, db.store, fakeGateway(db.config));
    const b = { ...makeCtx(db.config, store2, fakeGateway(db.config)), daemonId: 'other-daemon' };
    const sa = createAnalysisService(a);
    const sb = createAnalysisService(b);
    const job = { id: 5, kind: 'analyze', productId: 'P1', params: {} };
    const [ra, rb] = await Promise.all([sa.runJob(job, noop), sb.runJob(job, noop)]);
    if (store2 !== db.store) await store2.close();
    // each review's insights were extracted by exactly one of the two
    expect(a.counters.analysis.reviewsAnalysed + b.counters.analysis.reviewsAnalysed).toBe(60);
    expect((ra.insights as number) + (rb.insights as number)).toBe(
      Number((await db.store.knex('insights').count<{ n: number }[]>({ n: '*' }).first())!.n),
    );
    expect((ra.themes as number) + (rb.themes as number)).toBe(
      Number((await db.store.knex('themes').count<{ n: number }[]>({ n: '*' }).first())!.n),
    );
    const learnCalls = [a, b].map((c) => (c.gateway as ReturnType<typeof fakeGateway>).calls.filter((x) => x.task === 'learn').length);
    expect(learnCalls[0] + learnCalls[1]).toBe(1);
    const dup = await db.store.knex('insights').select('review_id').groupBy('review_id', 'quote').havingRaw('count(*) > 1');
    expect(dup).toEqual([]);
    const per = await db.store.knex('reviews').where({ ins_status: 'done', thm_status: 'done' }).count<{ n: number }[]>({ n: '*' }).first();
    expect(Number(per!.n)).toBe(60);
  });

  it("a crashed daemon's claims are redone once their lease expires", async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'P1', 10);
    const ctx = makeCtx(db.config, db.store, fakeGateway(db.config));
    const svc = createAnalysisService(ctx);
    await learnProduct(ctx, svc.labelCache, 'P1');
    // a daemon claimed everything and died before its write batch committed
    await db.store.knex('reviews').update({
      ins_status: 'in_progress',
      ins_owner: 'dead',
      ins_lease: Date.now() - 1,
      thm_status: 'in_progress',
      thm_owner: 'dead',
      thm_lease: Date.now() - 1,
    });
    const summary = await svc.runJob({ id: 1, kind: 'analyze', productId: 'P1', params: {} }, noop);
    expect(summary).toMatchObject({ reviews: 10, failed: 0 });
    const left = await db.store.knex('reviews').whereNot({ ins_status: 'done' }).orWhereNot({ thm_status: 'done' });
    expect(left).toEqual([]);
  });

  it('an analyze job of a product without reviews fails with a reason', async () => {
    db = await openTestDb(kind);
    const svc = createAnalysisService(makeCtx(db.config, db.store, fakeGateway(db.config)));
    await expect(svc.runJob({ id: 1, kind: 'analyze', productId: 'NOPE', params: {} }, noop)).rejects.toThrow(/no product NOPE/);
  });

  it('--all learns and analyses every product', async () => {
    db = await openTestDb(kind);
    await seed(db.config, db.store, 'A', 6);
    await seed(db.config, db.store, 'B', 4);
    const ctx = makeCtx(db.config, db.store, fakeGateway(db.config));
    const summary = await createAnalysisService(ctx).runJob({ id: 1, kind: 'analyze', productId: null, params: { all: true } }, noop);
    expect(summary).toMatchObject({ products: 2, reviews: 10, failed: 0 });
    expect(ctx.counters.analysis.learned).toBe(2);
  });
});
