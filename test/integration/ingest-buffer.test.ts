import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { tempHome, testConfig } from '../helpers/home.js';
import { hasPg, hasRedis, PG_BASE, pgTestUrl, redisTestPrefix, REDIS_URL } from '../helpers/services.js';
import { startTcpProxy, viaProxy } from '../helpers/tcp-proxy.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { clientFor } from '../../src/daemon/client.js';
import { unavailableGateway } from '../../src/daemon/gateway.js';
import { homePaths } from '../../src/daemon/lifecycle.js';
import { drainIngestBuffer } from '../../src/ingest/buffer.js';
import { bufferKeys, createBufferQueue, type DeadLetter } from '../../src/ingest/buffer-queue.js';
import { formatJobs } from '../../src/commands/jobs.js';
import { silentLogger } from '../../src/log.js';
import { sleep } from '../../src/abort.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => Promise<boolean>, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const review = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    review_id: `r${i}`,
    product_id: 'B0BUF',
    rating: 1 + (i % 5),
    body: `buffered review number ${i}, arrived fine`,
    ...extra,
  });

/**
 * Daemons whose beat never drains by itself (an hour's interval): each test calls drainIngestBuffer when it wants,
 * so what a batch goes through is decided by the test, not by timers.
 */
async function setup(o: { databaseUrl?: string; pgu?: ReturnType<typeof pgTestUrl> } = {}) {
  const pgu = o.pgu ?? pgTestUrl('ib');
  const rp = redisTestPrefix('ib');
  const r = new Redis(REDIS_URL);
  cleanups.push(async () => {
    r.disconnect();
    await rp.cleanup();
    await pgu.drop();
  });
  const keys = bufferKeys(rp.prefix, 'voc:ingest');
  const start = async (opts: { id?: string } = {}): Promise<Daemon> => {
    const h = tempHome('ib');
    cleanups.push(() => h.cleanup());
    if (opts.id) writeFileSync(homePaths(h.home).id, opts.id + '\n');
    const config = testConfig(h.home, {
      databaseUrl: o.databaseUrl ?? pgu.url,
      redisUrl: REDIS_URL,
      overrides: {
        'redis.keyPrefix': rp.prefix,
        'beat.drainIngestBufferMs': 3_600_000,
        'beat.checkPendingTranslations': false,
        'analysis.autoLearn': false,
        'daemon.heartbeatMs': 200,
        'daemon.leaseMs': 1000,
        'daemon.shutdownTimeoutMs': 500,
      },
    });
    const d = await startDaemon(config, {
      log: silentLogger,
      gatewayFactory: () => unavailableGateway(config, 'test'),
      services: () => [],
    });
    cleanups.push(() => d.close());
    return d;
  };
  const count = async (d: Daemon) => Number((await d.ctx.store.knex('reviews').count({ n: '*' }))[0].n);
  const dead = async (): Promise<DeadLetter[]> => (await r.lrange(keys.dead, 0, -1)).map((s) => JSON.parse(s));
  return { r, keys, start, count, dead, pgu };
}

describe.skipIf(!hasPg || !hasRedis)('the Redis ingest buffer', () => {
  it('stores valid elements once and puts every other element in the dead-letter list with its field and reason', async () => {
    const { r, keys, start, count, dead } = await setup();
    const d = await start();
    const good = Array.from({ length: 40 }, (_, i) => review(i));
    await r.rpush(
      keys.buffer,
      ...good,
      good[3], // pushed twice: stored once
      'not json {',
      '[1, 2]',
      review(100, { rating: 9 }),
      review(101, { body: '   ' }),
      review(5, { body: 'the same review id with another text' }),
    );
    const res = await drainIngestBuffer(d.ctx, 16);
    expect(res).toMatchObject({ inserted: 40, duplicates: 1, rejected: 5 });
    expect(await count(d)).toBe(40);
    expect(await r.llen(keys.buffer)).toBe(0);
    expect(await r.llen(keys.processing(d.ctx.daemonId))).toBe(0);
    const letters = await dead();
    expect(letters.map((l) => [l.field, l.reason.replace(/:.*/, '')])).toEqual([
      ['(element)', 'not JSON'],
      ['(element)', 'not a JSON object (an array)'],
      ['rating', 'out of range 1-5'],
      ['body', 'empty'],
      ['body', 'conflict'],
    ]);
    expect(letters[2].element).toBe(review(100, { rating: 9 }));
    expect(letters.every((l) => l.daemon === d.ctx.daemonId && l.at > 0)).toBe(true);

    // visible where an operator looks: status (JSON and screen) and jobs
    const client = clientFor(d.socketPath);
    const stats = await client.stats();
    expect(stats.ingestBuffer).toMatchObject({ key: keys.buffer, deadKey: keys.dead, waiting: 0, inFlight: 0, deadLetters: 5 });
    const { renderFrame } = await import('../../src/tui/render.js');
    expect(renderFrame(stats, { width: 120, height: 40, color: false })).toContain('5 dead letters');
    const jobs = await client.jobs();
    expect(jobs.ingestBuffer?.recentDead).toHaveLength(5);
    expect(formatJobs(jobs)).toContain('rating: out of range 1-5: 9');
  });

  it('a batch whose commit fails goes back to the buffer and is stored once when PostgreSQL is back', async () => {
    const pgu = pgTestUrl('ib');
    const proxy = await startTcpProxy({ host: new URL(PG_BASE).hostname, port: Number(new URL(PG_BASE).port || 5432) });
    cleanups.push(() => proxy.close());
    const { r, keys, start, count } = await setup({ pgu, databaseUrl: viaProxy(pgu.url, proxy) });
    const d = await start();
    await r.rpush(keys.buffer, ...Array.from({ length: 30 }, (_, i) => review(i)));
    proxy.cut();
    await expect(drainIngestBuffer(d.ctx, 10)).rejects.toThrow();
    // nothing was lost and nothing is parked: all 30 wait in the buffer, in their order
    expect(await r.lrange(keys.buffer, 0, -1)).toEqual(Array.from({ length: 30 }, (_, i) => review(i)));
    expect(await r.llen(keys.processing(d.ctx.daemonId))).toBe(0);
    proxy.restore();
    const res = await drainIngestBuffer(d.ctx, 10);
    expect(res.inserted).toBe(30);
    expect(await count(d)).toBe(30);
  });

  it('a live daemon keeps the hold on its batch while its store hangs for longer than a lease', async () => {
    const pgu = pgTestUrl('ib');
    const proxy = await startTcpProxy({ host: new URL(PG_BASE).hostname, port: Number(new URL(PG_BASE).port || 5432) });
    cleanups.push(() => proxy.close());
    const { r, keys, start, count } = await setup({ pgu, databaseUrl: viaProxy(pgu.url, proxy) });
    const d = await start();
    cleanups.push(() => proxy.restore()); // before the daemon closes, should an expectation below fail
    await r.rpush(keys.buffer, ...Array.from({ length: 10 }, (_, i) => review(i)));
    // the INSERT and the heartbeat's own writes hang: the hold lives in Redis and its renewal must not wait on them
    proxy.stall('requests');
    const draining = drainIngestBuffer(d.ctx, 10);
    await until(async () => (await r.llen(keys.processing(d.ctx.daemonId))) === 10);
    for (let i = 0; i < 30; i++) {
      // three leases of 1 s: a hold nobody renewed would have lapsed, and another daemon would take the batch over
      expect(await r.exists(keys.hold(d.ctx.daemonId))).toBe(1);
      await sleep(100);
    }
    proxy.restore();
    expect((await draining).inserted).toBe(10);
    expect(await count(d)).toBe(10);
    expect(await r.llen(keys.processing(d.ctx.daemonId))).toBe(0);
  });

  it("a processing list whose hold lapsed goes back to the buffer; a live daemon's is left alone", async () => {
    const { r, keys, start, count } = await setup();
    const d = await start();
    await r.rpush(keys.buffer, ...Array.from({ length: 30 }, (_, i) => review(i)));
    // two other daemons took batches and never committed: one is gone (its hold lapsed), one is alive
    const ghost = createBufferQueue(r, keys, 'ghost-daemon', 50);
    const alive = createBufferQueue(r, keys, 'alive-daemon', 60_000);
    expect((await ghost.take(10)).elements).toHaveLength(10);
    expect((await alive.take(10)).elements).toHaveLength(10);
    await until(async () => (await r.exists(keys.hold('ghost-daemon'))) === 0);

    const first = await drainIngestBuffer(d.ctx, 8);
    expect(first.recovered).toBe(10);
    expect(first.inserted).toBe(20);
    expect(await r.llen(keys.processing('alive-daemon'))).toBe(10);
    expect(await r.sismember(keys.consumers, 'ghost-daemon')).toBe(0);

    // the live one stops renewing its hold (killed, or stalled for a whole lease): its batch is taken over too
    await r.pexpire(keys.hold('alive-daemon'), 1);
    await until(async () => (await r.exists(keys.hold('alive-daemon'))) === 0);
    const second = await drainIngestBuffer(d.ctx, 8);
    expect(second).toMatchObject({ recovered: 10, inserted: 10 });
    expect(await count(d)).toBe(30);
    // its late commit stores nothing twice, and its acknowledgement of an emptied list removes nothing
    await alive.ack({ elements: Array(10).fill('x'), held: false }, []);
    expect(await r.llen(keys.buffer)).toBe(0);
  });

  it('a daemon restarted after a crash gives back the batch it held, and a graceful stop gives it back too', async () => {
    const { r, keys, start, count } = await setup();
    await r.rpush(keys.buffer, ...Array.from({ length: 12 }, (_, i) => review(i)));
    // the crashed daemon's id, holding 5 elements it never committed
    const crashed = createBufferQueue(r, keys, 'crashed-1', 60_000);
    await crashed.take(5);
    const d = await start({ id: 'crashed-1' });
    expect(d.ctx.daemonId).toBe('crashed-1');
    expect(await r.llen(keys.processing('crashed-1'))).toBe(0);
    expect(await r.llen(keys.buffer)).toBe(12);
    expect(await r.lindex(keys.buffer, 0)).toBe(review(0));

    // held by this daemon when it stops: given back on close
    const mine = createBufferQueue(r, keys, d.ctx.daemonId, 60_000);
    await mine.take(4);
    await d.close();
    expect(await r.llen(keys.buffer)).toBe(12);
    const d2 = await start();
    expect((await drainIngestBuffer(d2.ctx)).inserted).toBe(12);
    expect(await count(d2)).toBe(12);
  });

  it('an element the store refuses is set aside with the reason; the rest of its batch is stored', async () => {
    const { r, keys, start, count, dead } = await setup();
    const d = await start();
    // PostgreSQL text cannot hold U+0000: validation passes it, the INSERT is refused (SQLSTATE 22021)
    await r.rpush(keys.buffer, ...Array.from({ length: 9 }, (_, i) => review(i)), review(50, { body: 'a nul \u0000 inside' }));
    const res = await drainIngestBuffer(d.ctx);
    expect(res).toMatchObject({ inserted: 9, rejected: 1 });
    expect(await count(d)).toBe(9);
    const [letter] = await dead();
    expect(letter.reason).toMatch(/^store refused it: /);
    expect(letter.element).toBe(review(50, { body: 'a nul \u0000 inside' }));
  });
});
