import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { tempHome, testConfig } from '../helpers/home.js';
import { hasPg, hasRedis, pgTestUrl, redisTestPrefix, REDIS_URL } from '../helpers/services.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { clientFor } from '../../src/daemon/client.js';
import { unavailableGateway } from '../../src/daemon/gateway.js';
import { silentLogger } from '../../src/log.js';
import type { Service } from '../../src/lanes/types.js';
import { countReviews } from '../../src/store/reviews.js';
import type { Config } from '../../src/config/schema.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean | Promise<boolean>, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A translate service that only records that it was asked: the beat test needs no LLM. */
const fakeTranslate = (): Service => ({ name: 'fake-translate', kinds: { translate: 'shared' }, runJob: () => new Promise(() => {}) });

async function cluster(n: number, o: { redis: boolean; overrides?: Record<string, unknown> }) {
  const pgu = pgTestUrl('bt');
  const rp = o.redis ? redisTestPrefix('bt') : null;
  cleanups.push(async () => {
    await pgu.drop();
    await rp?.cleanup();
  });
  const ticks: Array<{ daemon: number; name: string; at: number }> = [];
  const daemons: Daemon[] = [];
  for (let i = 0; i < n; i++) {
    const h = tempHome(`b${i}`);
    cleanups.push(() => h.cleanup());
    const config: Config = testConfig(h.home, {
      databaseUrl: pgu.url,
      redisUrl: rp ? REDIS_URL : null,
      overrides: {
        'redis.keyPrefix': rp?.prefix ?? '',
        'daemon.heartbeatMs': 200,
        'daemon.shutdownTimeoutMs': 300,
        'beat.checkPendingTranslationsMs': 300,
        ...o.overrides,
      },
    });
    const d = await startDaemon(config, {
      log: silentLogger,
      gatewayFactory: () => unavailableGateway(config, 'test'),
      services: () => [fakeTranslate()],
      onBeat: (name) => ticks.push({ daemon: i, name, at: Date.now() }),
    });
    cleanups.push(() => d.close());
    daemons.push(d);
  }
  return { daemons, ticks, prefix: rp?.prefix ?? '' };
}

function gaps(ticks: Array<{ name: string; at: number }>, name: string): number[] {
  const at = ticks.filter((t) => t.name === name).map((t) => t.at);
  return at.slice(1).map((t, i) => t - at[i]);
}

describe.skipIf(!hasPg)('the beat with several daemons on one PostgreSQL', () => {
  it('ticks once per interval across two daemons (conditional UPDATE on beat_ticks)', async () => {
    const { daemons, ticks } = await cluster(2, { redis: false });
    await until(() => ticks.filter((t) => t.name === 'check_pending_translations').length >= 6);
    // a second daemon ticking in the same interval would show as a gap near 0; the tick events are heard some time
    // after each daemon's conditional UPDATE (a loaded machine delays one and not the next), so half the interval
    // tells the two apart without timing the machine
    for (const g of gaps(ticks, 'check_pending_translations')) expect(g).toBeGreaterThanOrEqual(300 * 0.5);
    const stats = await clientFor(daemons[0].socketPath).stats();
    await until(async () => (await daemons[0].stats()).cluster?.daemons.filter((d) => d.alive).length === 2);
    expect(stats.cluster).not.toBeNull();
  });

  it.skipIf(!hasRedis)('ticks once per interval across two daemons with a Redis lock', async () => {
    const { ticks } = await cluster(2, { redis: true });
    await until(() => ticks.filter((t) => t.name === 'check_pending_translations').length >= 6);
    // a second daemon ticking in the same interval would show as a gap near 0; the tick events are heard some time
    // after each daemon's conditional UPDATE (a loaded machine delays one and not the next), so half the interval
    // tells the two apart without timing the machine
    for (const g of gaps(ticks, 'check_pending_translations')) expect(g).toBeGreaterThanOrEqual(300 * 0.5);
  });

  it.skipIf(!hasRedis)('drains the Redis ingest buffer: valid reviews stored once, bad elements in the dead-letter list', async () => {
    const { daemons, prefix } = await cluster(2, {
      redis: true,
      overrides: { 'beat.drainIngestBufferMs': 100, 'beat.checkPendingTranslations': false },
    });
    const r = new Redis(REDIS_URL);
    cleanups.push(() => void r.disconnect());
    const key = `${prefix}voc:ingest`;
    const good = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ review_id: `b${i}`, asin: 'B0BUFFER', rating: 5, body: `buffered review ${i}, works great` }),
    );
    await r.rpush(key, ...good, 'not json', JSON.stringify({ asin: 'B0BUFFER', rating: 9 }));
    await until(async () => (await r.llen(key)) === 0 && (await countReviews(daemons[0].ctx.store)) === 30);
    await r.rpush(key, good[0]);
    await until(async () => (await r.llen(key)) === 0);
    expect(await countReviews(daemons[0].ctx.store)).toBe(30);
    const dead = (await r.lrange(`${key}:dead`, 0, -1)).map((x) => JSON.parse(x));
    expect(dead.map((d) => d.field)).toEqual(['(element)', 'body']);
  });

  it('starts one translate job (source beat) when reviews wait and none is open', async () => {
    const { daemons } = await cluster(2, { redis: false, overrides: { 'beat.checkPendingTranslationsMs': 100 } });
    const client = clientFor(daemons[0].socketPath);
    const body = 'a pending review that needs a translation';
    await client.ingest({
      file: null,
      rows: [
        {
          sourceKey: 'k1',
          reviewId: '1',
          productId: 'P',
          marketplace: null,
          rating: 4,
          title: null,
          body,
          bodyHash: 'h',
          reviewDate: null,
          author: null,
          language: 'en',
          class: 'standard',
          bodyLen: body.length,
        },
      ],
    });
    const k = daemons[0].ctx.store.knex;
    await until(async () => (await k('jobs').where({ kind: 'translate' })).length > 0);
    // several more intervals pass: the open job keeps the beat from adding another
    const seen = (await k('beat_ticks').where({ name: 'check_pending_translations' }).first()).last_tick;
    await until(async () => (await k('beat_ticks').where({ name: 'check_pending_translations' }).first()).last_tick >= seen + 300);
    const rows = await k('jobs').where({ kind: 'translate' });
    expect(rows).toHaveLength(1);
    expect(rows[0].source).toBe('beat');
  });
});
