import { existsSync } from 'node:fs';
import type { Knex } from 'knex';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { redactUrl } from '../config/redact.js';
import { errorMessage } from '../errors.js';
import { fail, ok, skip, warn, within, type Check } from './types.js';

const CONNECT_MS = 5000;

/**
 * The store answers, and its migrations are the ones this voc knows. Nothing is created or migrated: a fresh
 * SQLite home is reported as such, and pending migrations are what the daemon applies on start.
 */
export async function checkStore(config: Config): Promise<{ checks: Check[]; liveDaemons: number }> {
  const { openStore, parsePgUrl } = await import('../store/db.js');
  const { migrationSource } = await import('../store/migrations/index.js');
  const url = config.store.databaseUrl;
  const where = url ? redactUrl(url) : path.resolve(config.home, config.store.sqliteFile);
  if (!url && !existsSync(where)) {
    return {
      checks: [ok('store', `SQLite ${where} not created yet (the daemon creates it)`), skip('migrations', 'no database yet')],
      liveDaemons: 0,
    };
  }
  if (url) {
    // a bare connect first: it fails fast with the server's own reason, where a pool would retry until its timeout
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: parsePgUrl(url).connectionString, connectionTimeoutMillis: CONNECT_MS });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
    } catch (err) {
      return {
        checks: [
          fail(
            'store',
            `PostgreSQL at ${where} does not answer: ${errorMessage(err) || (err as { code?: string }).code}`,
            'start PostgreSQL or fix store.databaseUrl (VOC_DATABASE_URL)',
          ),
          skip('migrations', 'store unreachable'),
        ],
        liveDaemons: 0,
      };
    } finally {
      await client.end().catch(() => {});
    }
  }
  const store = await openStore(config, { migrate: false });
  try {
    try {
      await within(CONNECT_MS, 'store', store.knex.raw('select 1'));
    } catch (err) {
      const why = fail(
        'store',
        `${where} cannot be read: ${errorMessage(err)}`,
        'check the file and its permissions, or restore it from a backup',
      );
      return { checks: [why, skip('migrations', 'store unreadable')], liveDaemons: 0 };
    }
    const checks: Check[] = [ok('store', `${store.dialect === 'pg' ? 'PostgreSQL' : 'SQLite'} ${where} answers`)];
    const schemaName = url ? (parsePgUrl(url).schema ?? undefined) : undefined;
    try {
      const schema = () => (schemaName ? store.knex.schema.withSchema(schemaName) : store.knex.schema);
      const table = (): Knex.QueryBuilder =>
        schemaName ? store.knex.withSchema(schemaName).from('knex_migrations') : store.knex('knex_migrations');
      const hasTable = await within(CONNECT_MS, 'migrations', schema().hasTable('knex_migrations'));
      const known = await migrationSource.getMigrations([]);
      const done: string[] = hasTable ? ((await table().select('name')) as Array<{ name: string }>).map((r) => r.name) : [];
      const unknown = done.filter((n) => !known.includes(n));
      const pending = known.filter((n) => !done.includes(n));
      if (unknown.length) {
        checks.push(
          fail(
            'migrations',
            `the database has migrations this voc does not know (${unknown.join(', ')}): a newer voc migrated it`,
            'upgrade voc on this host to the version the other hosts run',
          ),
        );
      } else if (pending.length) {
        checks.push(
          warn(
            'migrations',
            `${pending.length} of ${known.length} migrations pending`,
            'start the daemon (voc daemon start): it applies them',
            { pending },
          ),
        );
      } else checks.push(ok('migrations', `all ${known.length} migrations applied`));
    } catch (err) {
      checks.push(
        fail('migrations', `cannot read the migrations: ${errorMessage(err)}`, 'check that the database user may read the schema'),
      );
    }
    let liveDaemons = 0;
    try {
      const t = Date.now();
      const rows = await store.knex('daemons').select('heartbeat_at', 'stopped_at');
      const alive = (r: { heartbeat_at: number; stopped_at: number | null }) =>
        r.stopped_at == null && Number(r.heartbeat_at) >= t - 3 * config.daemon.heartbeatMs;
      liveDaemons = rows.filter(alive).length;
    } catch {
      // no daemons table before the first migration
    }
    return { checks, liveDaemons };
  } finally {
    await store.close();
  }
}

/** Redis answers and the shared window can be read; without Redis, several live daemons on one database is a warning. */
export async function checkRedis(config: Config, liveDaemons: number): Promise<Check[]> {
  if (!config.redis.url) {
    if (config.store.databaseUrl && liveDaemons > 1) {
      return [
        warn(
          'redis',
          `${liveDaemons} daemons share this database but there is no Redis: each keeps its own ${config.llm.qps}/s window, together they exceed it`,
          'set redis.url (VOC_REDIS_URL) on every daemon so they share one window',
        ),
      ];
    }
    return [ok('redis', 'not configured: the throttle is local to this daemon')];
  }
  const { Redis } = await import('ioredis');
  const { throttleKeys } = await import('../llm/throttle/redis.js');
  const where = redactUrl(config.redis.url);
  const r = new Redis(config.redis.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_MS,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  r.on('error', () => {});
  try {
    await within(CONNECT_MS, 'Redis', r.connect());
    await within(CONNECT_MS, 'Redis', r.ping());
  } catch (err) {
    r.disconnect();
    return [
      fail(
        'redis',
        `Redis at ${where} does not answer: ${errorMessage(err)}`,
        'start Redis or fix redis.url (VOC_REDIS_URL); without it LLM calls are held',
      ),
    ];
  }
  try {
    const keys = throttleKeys(config);
    const [sec, micro] = await r.time();
    const nowMs = Number(sec) * 1000 + Number(micro) / 1000;
    const inWindow = await r.zcount(keys.window, nowMs - config.llm.windowMs - config.llm.marginMs, '+inf');
    const rate = await r.hget(keys.rate, 'base');
    const rateText = rate ? `, shared rate ${Math.round(Number(rate) * 10) / 10}/s` : '';
    return [
      ok('redis', `Redis at ${where} answers; the shared window ${keys.window} holds ${inWindow} requests${rateText}`, {
        inWindow,
        rate: rate ? Number(rate) : null,
      }),
    ];
  } catch (err) {
    return [
      fail(
        'redis',
        `Redis at ${where} answers but the shared window cannot be read: ${errorMessage(err)}`,
        'check redis.keyPrefix and llm.rateKey: another program may use that key',
      ),
    ];
  } finally {
    r.disconnect();
  }
}
