import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Config } from '../config/schema.js';
import { redactUrl } from '../config/redact.js';
import { prepareHome } from '../config/home.js';
import { VocError, errorMessage } from '../errors.js';
import { migrationSource } from './migrations/index.js';
import { sleep } from '../abort.js';

// bigint (epoch ms, counts) and numeric come back as strings from pg by default; they fit in a double here.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

export type Dialect = 'sqlite' | 'pg';

export interface Store {
  knex: Knex;
  dialect: Dialect;
  /** Where the data lives, safe to print: SQLite path or PostgreSQL URL without password. */
  where: string;
  close(): Promise<void>;
}

/** `?schema=name` on a PostgreSQL URL selects a schema (created when missing); tests and clusters use it. */
export function parsePgUrl(url: string): { connectionString: string; schema: string | null } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema');
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), schema: schema && /^[A-Za-z_][A-Za-z0-9_]*$/.test(schema) ? schema : null };
}

export async function openStore(cfg: Config, opts: { migrate?: boolean } = {}): Promise<Store> {
  let knex: Knex;
  let dialect: Dialect;
  let where: string;
  let schema: string | null = null;
  let pgConnection: string | null = null;
  if (cfg.store.databaseUrl) {
    const parsed = parsePgUrl(cfg.store.databaseUrl);
    pgConnection = parsed.connectionString;
    schema = parsed.schema;
    dialect = 'pg';
    where = redactUrl(cfg.store.databaseUrl);
    knex = knexFactory({
      client: 'pg',
      connection: { connectionString: parsed.connectionString },
      searchPath: schema ? [schema] : undefined,
      pool: {
        min: 0,
        max: cfg.store.poolMax,
        // a restarted server leaves dead sockets in the pool; drop them on error instead of handing them out
        afterCreate: (conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) => {
          conn.on('error', () => {});
          done(null, conn);
        },
      },
      acquireConnectionTimeout: 30000,
    });
  } else {
    prepareHome(cfg.home);
    const file = path.resolve(cfg.home, cfg.store.sqliteFile);
    dialect = 'sqlite';
    where = file;
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) => {
          cacheStatements(conn);
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 10000');
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        },
      },
    });
  }
  const store: Store = {
    knex,
    dialect,
    where,
    close: async () => {
      await knex.destroy().catch(() => {});
    },
  };
  if (opts.migrate !== false) {
    try {
      await (pgConnection ? migratePg(store, schema, pgConnection) : migrate(store, schema));
    } catch (err) {
      await store.close();
      throw new VocError('STORE', `cannot open the store at ${where}: ${errorMessage(err)}`, {
        hint: dialect === 'pg' ? 'check VOC_DATABASE_URL and that PostgreSQL is running' : 'check that VOC_HOME is writable',
        cause: err,
      });
    }
  }
  return store;
}

interface SqliteConnection {
  pragma(s: string): unknown;
  prepare(sql: string): unknown;
}

/** The few calls of better-sqlite3's connection that a synchronous write uses (see withSqlite). */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
}
export interface SqliteDb {
  prepare(sql: string): SqliteStatement;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
}

/**
 * Run `fn` on the SQLite connection itself, between knex's queries: the pool has one connection, so nothing else
 * runs meanwhile, and `fn` is synchronous (a better-sqlite3 transaction of prepared statements, cached per
 * connection). For hot writes of many rows, where a statement per row bound directly costs half of one statement
 * that unpacks a JSON parameter, and knex's asynchronous path per query costs more than either.
 */
export async function withSqlite<T>(store: Store, fn: (db: SqliteDb) => T): Promise<T> {
  if (store.dialect !== 'sqlite') throw new Error('withSqlite needs the SQLite store');
  return withConnection(store, (conn) => fn(conn as SqliteDb));
}

/**
 * Run `fn` on one of the pool's connections, the driver's own (better-sqlite3's database, pg's client), released
 * when `fn` settles: for writes that go past knex's query builder (withSqlite, the ingest's COPY).
 */
export async function withConnection<T>(store: Store, fn: (conn: unknown) => Promise<T> | T): Promise<T> {
  const client = store.knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
  const conn = await client.acquireConnection();
  try {
    return await fn(conn);
  } finally {
    await client.releaseConnection(conn);
  }
}

/** prepared statements kept per SQLite connection (the most recently prepared; knex's `whereIn` lists vary) */
const STATEMENT_CACHE = 200;

/**
 * knex prepares every query it runs again. On SQLite the statements are synchronous and run to the end before the
 * next query starts, so one statement per SQL text can be reused: the hot queries of a translation run (claims,
 * the settle write, BEGIN and COMMIT) are compiled once instead of thousands of times.
 */
function cacheStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    let st = cache.get(sql);
    if (st === undefined) {
      st = prepare(sql);
      if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
      cache.set(sql, st);
    }
    return st;
  };
}

/**
 * PostgreSQL: migrations run under a session advisory lock of their own, taken on a connection outside the pool,
 * so daemons starting at once against a fresh schema migrate one after the other. knex's own lock is not enough
 * there: its first run creates the lock table and inserts the lock row without a lock, two daemons racing through
 * it left two rows, and knex then refuses every later migration ("Migration table is already locked": its lock
 * update must change exactly one row), so no daemon could start on that schema again. Under the advisory lock a
 * doubled lock row is put back to one, and a lock left set is cleared: our migrations run in one transaction, so
 * a migrator that died left nothing half done, and no other voc migrates while we hold the lock. The lock goes
 * with the connection if this process dies.
 */
async function migratePg(store: Store, schema: string | null, connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`voc:migrate:${schema ?? ''}`]);
    // no such table (or schema yet) on a fresh store: to_regclass gives null, and migrate() creates both
    const lockTable = schema ? `"${schema}".knex_migrations_lock` : 'knex_migrations_lock';
    const { rows } = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [lockTable]);
    if (rows[0]?.t) {
      await client.query(`DELETE FROM ${lockTable} WHERE "index" NOT IN (SELECT min("index") FROM ${lockTable})`);
      await client.query(`UPDATE ${lockTable} SET is_locked = 0 WHERE is_locked <> 0`);
    }
    await migrate(store, schema);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Idempotent; several daemons starting at once wait on knex's migration lock instead of failing. */
async function migrate(store: Store, schema: string | null): Promise<void> {
  // the lock is held for as long as the first daemon's migrations take: wait by the clock, not by a few tries
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    try {
      if (schema) await store.knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [schema]);
      await store.knex.migrate.latest({ migrationSource, schemaName: schema ?? undefined });
      return;
    } catch (err) {
      const msg = errorMessage(err);
      const contended = /already locked|duplicate key|already exists|unique constraint/i.test(msg);
      if (!contended || Date.now() > deadline) throw err;
      await sleep(100 + Math.random() * 200);
    }
  }
}

/** Milliseconds since the epoch: every stored time uses it. */
export const now = (): number => Date.now();
