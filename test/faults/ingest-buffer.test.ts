import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { tempHome, testConfig } from '../helpers/home.js';
import { hasPg, hasRedis, PG_BASE, pgTestUrl, REDIS_URL, redisTestPrefix } from '../helpers/services.js';
import { startTcpProxy, viaProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { openStore, type Store } from '../../src/store/db.js';
import { bufferKeys, type DeadLetter } from '../../src/ingest/buffer-queue.js';
import { makeCluster, until, type Cluster } from './cluster-harness.js';

/**
 * The ingest buffer under faults, with real daemon processes: a producer RPUSHes reviews while the daemons'
 * PostgreSQL connection is cut (through a proxy this test owns; the shared server is never restarted), and a
 * daemon is killed with SIGKILL while it holds a batch it took but has not acknowledged. Every valid review pushed
 * is stored exactly once; every invalid one is in the dead-letter list with its reason.
 */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch (err) {
      console.warn(`[voc faults] cleanup step failed: ${(err as Error).message}`);
    }
  }
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const element = (tag: string, i: number) =>
  JSON.stringify({
    review_id: `${tag}${i}`,
    product_id: `P${i % 7}`,
    rating: 1 + (i % 5),
    body: `review ${tag}${i}: ${'the strap holds, the buckle does not loosen '.repeat(1 + (i % 3))}`,
  });
/** one in every 100 elements is not a valid review, each for a different reason */
const invalid = (i: number) =>
  [
    '{"review_id": "x',
    JSON.stringify({ review_id: `bad${i}`, product_id: 'P1', rating: 7, body: 'rating out of range' }),
    JSON.stringify({ review_id: `bad${i}`, product_id: 'P1', rating: 3 }),
  ][i % 3];

async function setup() {
  const pgu = pgTestUrl('fib');
  const rp = redisTestPrefix('fib');
  const pgTarget = new URL(PG_BASE);
  const proxy: TcpProxy = await startTcpProxy({ host: pgTarget.hostname, port: Number(pgTarget.port || 5432) });
  const scratch = tempHome('fib');
  const r = new Redis(REDIS_URL);
  cleanups.push(
    () => scratch.cleanup(),
    () => rp.cleanup(),
    () => pgu.drop(),
    () => r.disconnect(),
    () => proxy.close(),
  );
  const cluster: Cluster = makeCluster(2, {
    env: { VOC_DATABASE_URL: viaProxy(pgu.url, proxy), VOC_REDIS_URL: REDIS_URL },
    config: {
      redis: { keyPrefix: rp.prefix },
      beat: { drainIngestBufferMs: 200, checkPendingTranslations: false },
      analysis: { autoLearn: false },
      daemon: { leaseMs: 3000, heartbeatMs: 500, shutdownTimeoutMs: 2000 },
    },
  });
  cleanups.push(
    () => cluster.cleanup(),
    () => cluster.stopAll(),
  );
  // one after the other: the first creates the schema, the second finds it ready (no wait on the migration lock)
  await cluster.start(0);
  await cluster.start(1);
  // the test reads the store directly, not through the proxy
  const store: Store = await openStore(testConfig(scratch.home, { databaseUrl: pgu.url }), { migrate: false });
  cleanups.push(() => store.close());
  const keys = bufferKeys(rp.prefix, 'voc:ingest');
  const held = async () => {
    const ids = await r.smembers(keys.consumers);
    return Promise.all(ids.map(async (id) => ({ id, n: await r.llen(keys.processing(id)) })));
  };
  const storedIds = async () => (await store.knex('reviews').select('review_id')).map((x: { review_id: string }) => x.review_id);
  return {
    r,
    keys,
    proxy,
    cluster,
    held,
    storedIds,
    dead: async (): Promise<DeadLetter[]> => (await r.lrange(keys.dead, 0, -1)).map((s) => JSON.parse(s)),
  };
}

/** pushes `n` elements in batches of `per`, 1% invalid; returns the valid review ids */
async function produce(
  r: Redis,
  key: string,
  tag: string,
  n: number,
  per: number,
  gapMs: number,
): Promise<{ valid: string[]; invalid: number }> {
  const valid: string[] = [];
  let bad = 0;
  for (let i = 0; i < n; i += per) {
    const batch: string[] = [];
    for (let j = i; j < Math.min(n, i + per); j++) {
      if (j % 100 === 99) {
        batch.push(invalid(j));
        bad++;
      } else {
        batch.push(element(tag, j));
        valid.push(`${tag}${j}`);
      }
    }
    await r.rpush(key, ...batch);
    await pause(gapMs);
  }
  return { valid, invalid: bad };
}

function expectExactlyOnce(stored: string[], valid: string[]): void {
  const counts = new Map<string, number>();
  for (const id of stored) counts.set(id, (counts.get(id) ?? 0) + 1);
  expect(valid.filter((id) => counts.get(id) !== 1)).toEqual([]);
  expect(stored.length).toBe(valid.length);
}

describe.skipIf(!hasPg || !hasRedis)('the ingest buffer under faults', () => {
  it('3,000 reviews pushed while PostgreSQL is cut off are all stored once; invalid ones are dead letters with a reason', async () => {
    const { r, keys, proxy, cluster, storedIds, dead } = await setup();
    const t0 = Date.now();
    const producing = produce(r, keys.buffer, 'o', 3000, 50, 100);
    // let the daemons store some, then cut PostgreSQL off for longer than a lease while the producer goes on
    await until('first reviews stored', async () => (await storedIds()).length > 200, 60_000, 50);
    proxy.cut();
    await pause(5000);
    const storedDuringOutage = (await storedIds()).length;
    const waitingAtRestore = await r.llen(keys.buffer);
    proxy.restore();
    const { valid, invalid: bad } = await producing;
    // the producer went on during the outage and the elements waited in the buffer
    expect(storedDuringOutage).toBeLessThan(valid.length);
    expect(waitingAtRestore).toBeGreaterThan(0);
    await until(
      'buffer drained',
      async () => (await storedIds()).length >= valid.length && (await r.llen(keys.buffer)) === 0,
      120_000,
      200,
    );
    await until('no batch held', async () => (await r.scard(keys.consumers)) === 0, 30_000, 200);
    const restoredAt = Date.now();
    expectExactlyOnce(await storedIds(), valid);
    const letters = await dead();
    expect(letters).toHaveLength(bad);
    expect(new Set(letters.map((l) => l.field))).toEqual(new Set(['(element)', 'rating', 'body']));
    // the outage was seen and waited out, not skipped over
    const logs = cluster.allLogs();
    expect(logs).toMatch(/beat_failed[^\n]*drain_ingest_buffer/);
    expect(cluster.daemons.every((d) => d.child.exitCode === null)).toBe(true);
    const retries = (logs.match(/beat_failed[^\n]*drain_ingest_buffer/g) ?? []).length;
    console.log(
      `[ingest-buffer faults] outage 5 s: ${storedDuringOutage} stored before it, ${waitingAtRestore} waiting at restore, ${retries} failed drain attempts, all ${valid.length} stored once ${((restoredAt - t0) / 1000).toFixed(1)} s after the first push, ${bad} dead letters`,
    );
  });

  for (const [stall, what] of [
    ['requests', 'its INSERT never reached PostgreSQL'],
    ['responses', 'its INSERT committed but the answer never came back'],
  ] as const) {
    it(`kill -9 of a daemon holding a batch (${what}): the survivor takes it over, each review stored once`, async () => {
      const { r, keys, proxy, cluster, held, storedIds, dead } = await setup();
      const first = await produce(r, keys.buffer, 'a', 1000, 100, 0);
      await until('first batch stored', async () => (await storedIds()).length >= first.valid.length, 60_000, 100);
      proxy.stall(stall);
      const second = await produce(r, keys.buffer, 'b', 2000, 100, 0);
      // a daemon took a batch and is stuck before its acknowledgement (still holding it a second later)
      const holder = await until(
        'a batch held',
        async () => {
          const h = (await held()).find((x) => x.n > 0);
          if (!h) return null;
          await pause(1000);
          return (await r.llen(keys.processing(h.id))) > 0 ? h : null;
        },
        30_000,
        50,
      );
      const victim = cluster.daemons.find((d) => d.id === holder.id)!;
      expect(victim).toBeDefined();
      await cluster.kill9(victim);
      const killedAt = Date.now();
      proxy.restore();
      const valid = [...first.valid, ...second.valid];
      await until(
        'buffer drained by the survivor',
        async () =>
          (await storedIds()).length >= valid.length && (await r.llen(keys.buffer)) === 0 && (await r.scard(keys.consumers)) === 0,
        120_000,
        200,
      );
      const drainedMs = Date.now() - killedAt;
      expect(cluster.allLogs()).toContain('ingest_buffer_recovered');
      // the killed daemon comes back: it holds nothing any more, nothing is stored twice
      await cluster.start(victim.index);
      await pause(1500);
      expectExactlyOnce(await storedIds(), valid);
      expect(await dead()).toHaveLength(first.invalid + second.invalid);
      console.log(
        `[ingest-buffer faults] kill -9 (${stall} held): ${holder.n} elements held by the killed daemon, all ${valid.length} stored once ${(drainedMs / 1000).toFixed(1)} s after the kill`,
      );
    });
  }
});
