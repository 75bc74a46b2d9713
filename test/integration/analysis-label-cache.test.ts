import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { openTestDb, type TestDb } from '../helpers/databases.js';
import { hasRedis, REDIS_URL, redisTestPrefix } from '../helpers/services.js';
import { fakeGateway, makeCtx, seed } from './analysis-fixtures.js';
import { createAnalysisService } from '../../src/analysis/service.js';
import { createLabelCache } from '../../src/analysis/label-cache.js';
import { learnProduct } from '../../src/analysis/learn.js';

const noop = () => {};

function countLabelReads(db: TestDb): { n: () => number; off: () => void } {
  let n = 0;
  const listener = (q: { sql: string }) => {
    if (/^select .* from [`"]?product_labels[`"]?/i.test(q.sql)) n++;
  };
  db.store.knex.on('query', listener);
  return { n: () => n, off: () => db.store.knex.removeListener('query', listener) };
}

describe('label cache', () => {
  let db: TestDb;
  let redis: Redis | null = null;
  let cleanupRedis: (() => Promise<void>) | null = null;
  afterEach(async () => {
    redis?.disconnect();
    redis = null;
    await cleanupRedis?.();
    await db?.cleanup();
  });

  it.skipIf(!hasRedis)('with Redis: theme extraction of 200 reviews of one product reads its labels from the database once', async () => {
    const p = redisTestPrefix('lc');
    cleanupRedis = p.cleanup;
    db = await openTestDb('sqlite', { 'redis.keyPrefix': p.prefix, 'analysis.batchSize': { vip: 1, standard: 3, short: 10 } });
    redis = new Redis(REDIS_URL);
    await seed(db.config, db.store, 'P1', 200);
    const ctx = makeCtx(db.config, db.store, fakeGateway(db.config), { redis });
    const svc = createAnalysisService(ctx);
    await learnProduct(ctx, svc.labelCache, 'P1');
    const reads = countLabelReads(db);
    const summary = await svc.runJob({ id: 1, kind: 'analyze', productId: 'P1', params: {} }, noop);
    reads.off();
    expect(summary.reviews).toBe(200);
    expect(reads.n()).toBe(1);
    const c = ctx.counters.analysis;
    expect(c.labelCacheMisses).toBe(1);
    expect(c.labelCacheHits).toBeGreaterThan(100);
    expect(c.labelCacheHitRate).toBeGreaterThan(0.99);
    // the map lives in Redis under the seed's key, with the TTL of the config
    const key = `${p.prefix}label_cache:P1`;
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(3500);
    expect(JSON.parse((await redis.get(key))!)).toHaveProperty('who');
    // a second daemon sharing Redis reads no labels from the database at all
    const other = createLabelCache({ store: db.store, redis, keyPrefix: p.prefix, ttlSec: 3600, size: 10 });
    const reads2 = countLabelReads(db);
    await other.get('P1');
    reads2.off();
    expect(reads2.n()).toBe(0);
    // relearning drops the Redis entry
    await learnProduct(ctx, svc.labelCache, 'P1', { force: true });
    expect(await redis.exists(key)).toBe(0);
    await svc.stop!();
  });

  it('without Redis: an in-process LRU, one database read for concurrent lookups, invalidated on relearn', async () => {
    db = await openTestDb('sqlite');
    await seed(db.config, db.store, 'P1', 8);
    const ctx = makeCtx(db.config, db.store, fakeGateway(db.config));
    const cache = createLabelCache({ store: db.store, redis: null, keyPrefix: '', ttlSec: 60, size: 10, stats: ctx.counters.analysis });
    await learnProduct(ctx, cache, 'P1');
    const reads = countLabelReads(db);
    const maps = await Promise.all(Array.from({ length: 20 }, () => cache.get('P1')));
    expect(reads.n()).toBe(1);
    expect(new Set(maps).size).toBe(1);
    await cache.get('P1');
    expect(reads.n()).toBe(1);
    await learnProduct(ctx, cache, 'P1', { force: true });
    await cache.get('P1');
    expect(reads.n()).toBe(2);
    reads.off();
  });
});
