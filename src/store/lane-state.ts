import type { LaneName } from '../config/schema.js';
import { LANES } from '../config/schema.js';
import type { Store } from './db.js';
import { now } from './db.js';

/** Lane switches live in the store: they survive a restart and every daemon on the database sees them. */
export async function setLanePaused(store: Store, lane: LaneName, paused: boolean): Promise<void> {
  await store.knex('lane_state').insert({ lane, paused, updated_at: now() }).onConflict('lane').merge(['paused', 'updated_at']);
}

export async function pausedLanes(store: Store): Promise<LaneName[]> {
  const rows: Array<{ lane: string; paused: unknown }> = await store.knex('lane_state').select('lane', 'paused');
  return rows
    .filter((r) => r.paused === true || r.paused === 1 || r.paused === '1')
    .map((r) => r.lane as LaneName)
    .filter((l) => (LANES as readonly string[]).includes(l));
}
