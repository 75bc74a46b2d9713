import type { Store } from './db.js';
import { now } from './db.js';

/**
 * Claim one tick of a periodic job for the whole cluster: a conditional UPDATE succeeds for exactly one daemon
 * per interval, on SQLite and PostgreSQL alike (the row lock serialises concurrent updates).
 */
export async function claimTick(store: Store, name: string, intervalMs: number, owner: string): Promise<boolean> {
  await store.knex('beat_ticks').insert({ name, last_tick: 0, owner: null }).onConflict('name').ignore();
  const ts = now();
  const n = await store
    .knex('beat_ticks')
    .where('name', name)
    .andWhere('last_tick', '<=', ts - intervalMs)
    .update({ last_tick: ts, owner });
  return Number(n) > 0;
}
