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
