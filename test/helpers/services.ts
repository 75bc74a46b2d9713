import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

/**
 * Real PostgreSQL and Redis for the tests that need them. Under CI a missing service fails the test loudly;
 * on a developer machine without them the test is skipped with a message.
 */
export const PG_BASE = process.env.VOC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.VOC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function probePg(): Promise<string | null> {
  const c = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('select 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

async function probeRedis(): Promise<string | null> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    r.disconnect();
  }
}

export const pgProblem = await probePg();
export const redisProblem = await probeRedis();
const inCI = !!process.env.CI;

if (pgProblem && inCI) throw new Error(`PostgreSQL is required under CI and is not reachable at ${PG_BASE}: ${pgProblem}`);
if (redisProblem && inCI) throw new Error(`Redis is required under CI and is not reachable at ${REDIS_URL}: ${redisProblem}`);
if (pgProblem) console.warn(`[voc tests] PostgreSQL not reachable (${pgProblem}): PostgreSQL tests are skipped`);
if (redisProblem) console.warn(`[voc tests] Redis not reachable (${redisProblem}): Redis tests are skipped`);

export const hasPg = !pgProblem;
export const hasRedis = !redisProblem;

/** A fresh schema name per test run; the URL carries it, so every process of a test sees the same data. */
export function pgTestUrl(tag = 't'): { url: string; schema: string; drop: () => Promise<void> } {
  const schema = `voc_${tag}_${randomBytes(4).toString('hex')}`;
  const u = new URL(PG_BASE);
  u.searchParams.set('schema', schema);
  return {
    url: u.toString(),
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_BASE });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A random key prefix per test, and a cleaner for it. */
export function redisTestPrefix(tag = 't'): { prefix: string; cleanup: () => Promise<void> } {
  const prefix = `voctest:${tag}:${randomBytes(4).toString('hex')}:`;
  return {
    prefix,
    cleanup: async () => {
      const r = new Redis(REDIS_URL);
      try {
        const keys = await r.keys(`${prefix}*`);
        if (keys.length) await r.del(...keys);
      } finally {
        r.disconnect();
      }
    },
  };
}
