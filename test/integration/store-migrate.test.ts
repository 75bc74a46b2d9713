import { afterEach, describe, expect, it } from 'vitest';
import { hasPg, pgTestUrl } from '../helpers/services.js';
import { tempHome, testConfig } from '../helpers/home.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrationSource } from '../../src/store/migrations/index.js';

/** Several daemons starting at once against one fresh PostgreSQL schema, each with its own pool (its own process). */
describe.skipIf(!hasPg)('migrations on PostgreSQL with several daemons starting at once', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  function setup() {
    const pgu = pgTestUrl('mig');
    const h = tempHome('mig');
    cleanups.push(() => h.cleanup(), pgu.drop);
    const open = async (): Promise<Store> => {
      const store = await openStore(testConfig(h.home, { databaseUrl: pgu.url }));
      cleanups.push(() => store.close());
      return store;
    };
    return { open };
  }

  it('six stores opened at once on a fresh schema all open, leaving one unlocked lock row', async () => {
    const { open } = setup();
    const stores = await Promise.all(Array.from({ length: 6 }, () => open()));
    const locks = await stores[0].knex('knex_migrations_lock').select('is_locked');
    expect(locks).toEqual([{ is_locked: 0 }]);
    const batches = await stores[0].knex('knex_migrations').countDistinct({ n: 'name' }).first();
    const rows = await stores[0].knex('knex_migrations').count({ n: '*' }).first();
    expect(Number(rows!.n)).toBe(Number(batches!.n)); // each migration ran once
    for (const s of stores) expect(Number((await s.knex('reviews').count({ n: '*' }).first())!.n)).toBe(0);
  });

  it('a lock table left with two rows, both set (the race of older versions), is mended and the store opens', async () => {
    const { open } = setup();
    const first = await open();
    await first.knex('knex_migrations_lock').insert({ is_locked: 1 });
    await first.knex('knex_migrations_lock').update({ is_locked: 1 });
    expect(Number((await first.knex('knex_migrations_lock').count({ n: '*' }).first())!.n)).toBe(2);
    // knex alone refuses: its lock update must change exactly one row
    await expect(first.knex.migrate.latest({ migrationSource })).rejects.toThrow(/already locked/);
    const again = await open();
    expect(await again.knex('knex_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }]);
  }, 20_000);
});
