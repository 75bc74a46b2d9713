import { afterEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/databases.js';
import { fakeGateway, makeCtx, seed } from './analysis-fixtures.js';
import { createAnalysisService } from '../../src/analysis/service.js';

describe('work the analysis service starts by itself', () => {
  let db: TestDb;
  afterEach(async () => db && (await db.cleanup()));

  it('at start-up, queues a learn job for every never-learned product with enough reviews', async () => {
    db = await openTestDb('sqlite', { 'analysis.learnMinReviews': 5, 'analysis.autoLearn': true });
    await seed(db.config, db.store, 'BIG', 6);
    await seed(db.config, db.store, 'SMALL', 2);
    const ctx = makeCtx(db.config, db.store, fakeGateway(db.config));
    const changed: string[] = [];
    ctx.events.on('jobs:changed', (e) => changed.push(`${e.kind}:${e.status}`));
    const svc = createAnalysisService(ctx);
    await svc.ready;
    const jobs = await db.store.knex('jobs').select('kind', 'product_id', 'source', 'status');
    expect(jobs).toEqual([{ kind: 'learn', product_id: 'BIG', source: 'auto', status: 'queued' }]);
    expect(changed).toEqual(['learn:queued']);
    // a burst of ingest events for the same product queues no second job
    for (let i = 0; i < 5; i++) ctx.events.emit('reviews:ingested', { inserted: 1, productIds: ['BIG'], newProducts: [] });
    await svc.autoIdle();
    await svc.stop!();
    expect(await db.store.knex('jobs').count<{ n: number }[]>({ n: '*' }).first()).toEqual({ n: 1 });
  });

  it('autoLearn off (the default): nothing is queued', async () => {
    db = await openTestDb('sqlite');
    await seed(db.config, db.store, 'BIG', 10);
    const svc = createAnalysisService(makeCtx(db.config, db.store, fakeGateway(db.config)));
    await svc.ready;
    await svc.stop!();
    expect(await db.store.knex('jobs').select('id')).toEqual([]);
  });

  it('autoAfterTranslation: a product is analysed once its translations settle; off by default', async () => {
    db = await openTestDb('sqlite', { 'analysis.autoLearn': false, 'analysis.autoAfterTranslation': true });
    await seed(db.config, db.store, 'T1', 4);
    await seed(db.config, db.store, 'T2', 4);
    await db.store.knex('reviews').where({ product_id: 'T1' }).update({ tr_status: 'done' });
    const ctx = makeCtx(db.config, db.store, fakeGateway(db.config));
    const svc = createAnalysisService(ctx);
    ctx.events.emit('jobs:changed', { id: 9, kind: 'translate', status: 'done' });
    ctx.events.emit('jobs:changed', { id: 9, kind: 'translate', status: 'done' });
    await svc.autoIdle();
    await svc.stop!();
    const jobs = await db.store.knex('jobs').where({ kind: 'analyze' }).select('product_id', 'source');
    expect(jobs).toEqual([{ product_id: 'T1', source: 'auto' }]);
    expect(db.config.analysis.autoAfterTranslation).toBe(true);
  });

  it('autoAfterTranslation is off by default', async () => {
    db = await openTestDb('sqlite');
    expect(db.config.analysis.autoAfterTranslation).toBe(false);
  });
});
