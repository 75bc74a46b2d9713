import type { Store } from './db.js';
import { now } from './db.js';

/** The daemons table: one row per daemon id, upserted on each heartbeat (the cluster view reads it). */
export interface DaemonRecord {
  id: string;
  host: string;
  pid: number;
  home: string;
  version: string | null;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
  stats: string | null;
}

export async function upsertDaemon(store: Store, row: Omit<DaemonRecord, 'heartbeat_at' | 'stopped_at'>): Promise<void> {
  await store
    .knex('daemons')
    .insert({ ...row, heartbeat_at: now(), stopped_at: null })
    .onConflict('id')
    .merge(['host', 'pid', 'home', 'version', 'started_at', 'heartbeat_at', 'stopped_at', 'stats']);
}

export async function markDaemonStopped(store: Store, id: string): Promise<void> {
  await store.knex('daemons').where({ id }).update({ stopped_at: now() });
}

export async function listDaemons(store: Store): Promise<DaemonRecord[]> {
  return store.knex('daemons').select('*').orderBy('id');
}

/** Of `ids`, the daemons that are running: not stopped, heartbeat within the last `leaseMs`. */
export async function liveDaemonIds(store: Store, ids: string[], leaseMs: number): Promise<string[]> {
  if (!ids.length) return [];
  const rows: Array<{ id: string }> = await store
    .knex('daemons')
    .select('id')
    .whereIn('id', ids)
    .whereNull('stopped_at')
    .andWhere('heartbeat_at', '>=', now() - leaseMs);
  return rows.map((r) => r.id);
}
