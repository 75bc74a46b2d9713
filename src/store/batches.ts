import type { Store } from './db.js';
import { now } from './db.js';

/**
 * Rows of the provider's Batch API (see the migration): a batch is written, with its lines and the claims of its
 * reviews handed to it, before its file is uploaded; each later step saves what the provider answered before the
 * next step runs. A batch holds its reviews under the owner `batch:<id>`, so they stay claimed whichever daemon
 * (if any) is running, and a realtime run never waits for them or takes them.
 */
export type BatchState = 'prepared' | 'uploading' | 'uploaded' | 'creating' | 'submitted' | 'collecting' | 'done';
export const OPEN_STATES: BatchState[] = ['prepared', 'uploading', 'uploaded', 'creating', 'submitted', 'collecting'];
export const BATCH_OWNER_PREFIX = 'batch:';

export interface BatchRow {
  id: number;
  job_id: number | null;
  kind: string;
  state: BatchState;
  nonce: string;
  file_id: string | null;
  batch_id: string | null;
  provider_status: string | null;
  output_file_id: string | null;
  error_file_id: string | null;
  requests: number;
  completed: number;
  failed: number;
  bytes: number;
  cost: number;
  error: string | null;
  driver: string | null;
  driver_lease: number | null;
  created_at: number;
  updated_at: number;
}

export interface BatchLineRow {
  id: number;
  batch: number;
  custom_id: string;
  cls: string;
  /** JSON [{hash, norm}] */
  texts: string;
  status: 'pending' | 'done' | 'redo';
  error: string | null;
}

export const batchOwner = (id: number) => `${BATCH_OWNER_PREFIX}${id}`;

/**
 * One transaction: the batch row, its lines, and the claims of its reviews moved from the daemon to the batch
 * (only those the daemon still holds). A crash before it leaves the daemon's claims to expire; after it, the batch
 * is resumable from the store alone.
 */
export async function insertBatch(
  store: Store,
  o: {
    jobId: number | null;
    kind: string;
    nonce: string;
    owner: string;
    leaseMs: number;
    holdMs: number;
    bytes: number;
    reviewIds: number[];
    lines: Array<{ customId: string; cls: string; texts: string }>;
  },
): Promise<number> {
  return store.knex.transaction(async (trx) => {
    const ts = now();
    const [row] = await trx('llm_batches')
      .insert({
        job_id: o.jobId,
        kind: o.kind,
        state: 'prepared',
        nonce: o.nonce,
        requests: o.lines.length,
        bytes: o.bytes,
        driver: o.owner,
        driver_lease: ts + o.leaseMs,
        created_at: ts,
        updated_at: ts,
      })
      .returning('id');
    const id = Number(typeof row === 'object' ? row.id : row);
    const lines = o.lines.map((l) => ({ batch: id, custom_id: l.customId, cls: l.cls, texts: l.texts, status: 'pending' }));
    for (let i = 0; i < lines.length; i += 150) await trx('llm_batch_lines').insert(lines.slice(i, i + 150));
    for (let i = 0; i < o.reviewIds.length; i += 800) {
      await trx('reviews')
        .whereIn('id', o.reviewIds.slice(i, i + 800))
        .where({ tr_owner: o.owner, tr_status: 'in_progress' })
        .update({ tr_owner: batchOwner(id), tr_lease: ts + o.holdMs });
    }
    return id;
  });
}

export async function updateBatch(store: Store, id: number, patch: Partial<BatchRow>): Promise<void> {
  await store
    .knex('llm_batches')
    .where({ id })
    .update({ ...patch, updated_at: now() });
}

/**
 * Open batches this daemon may drive: its own, unowned ones and those whose driver's lease ran out (it died).
 * Taking one renews the lease of its reviews too.
 */
export async function leaseBatches(
  store: Store,
  owner: string,
  leaseMs: number,
  holdMs: number,
  jobId?: number | null,
): Promise<BatchRow[]> {
  const ts = now();
  const q = store
    .knex('llm_batches')
    .whereIn('state', OPEN_STATES)
    .where((w) => w.whereNull('driver').orWhere('driver', owner).orWhere('driver_lease', '<', ts));
  if (jobId != null)
    q.andWhere((w) =>
      w.where('job_id', jobId).orWhereNotIn('job_id', store.knex('jobs').select('id').whereIn('status', ['queued', 'running'])),
    );
  const ids: number[] = (await q.select('id')).map((r: { id: number }) => Number(r.id));
  const mine: BatchRow[] = [];
  for (const id of ids) {
    const n = await store
      .knex('llm_batches')
      .where({ id })
      .whereIn('state', OPEN_STATES)
      .where((w) => w.whereNull('driver').orWhere('driver', owner).orWhere('driver_lease', '<', ts))
      .update({ driver: owner, driver_lease: ts + leaseMs });
    if (!n) continue;
    await store
      .knex('reviews')
      .where({ tr_owner: batchOwner(id), tr_status: 'in_progress' })
      .update({ tr_lease: ts + holdMs });
    mine.push(await getBatch(store, id));
  }
  return mine;
}

export async function getBatch(store: Store, id: number): Promise<BatchRow> {
  const row = (await store.knex('llm_batches').where({ id }).first()) as BatchRow;
  return {
    ...row,
    id: Number(row.id),
    requests: Number(row.requests),
    completed: Number(row.completed),
    failed: Number(row.failed),
    bytes: Number(row.bytes),
    cost: Number(row.cost),
  };
}

/** Open batches of a job (or of every job), whoever drives them. */
export async function openBatchCount(store: Store, jobId?: number | null): Promise<number> {
  const q = store.knex('llm_batches').whereIn('state', OPEN_STATES);
  if (jobId != null) q.andWhere('job_id', jobId);
  const row = await q.count<{ n: number }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function batchesOfJob(store: Store, jobId: number): Promise<BatchRow[]> {
  return (await store.knex('llm_batches').where({ job_id: jobId }).orderBy('id')) as BatchRow[];
}

/** Batches still with the provider or being collected, newest first (for `voc status`). */
export async function batchesInFlight(store: Store, limit = 20): Promise<BatchRow[]> {
  return (await store.knex('llm_batches').whereIn('state', OPEN_STATES).orderBy('id', 'desc').limit(limit)) as BatchRow[];
}

export async function linesOf(store: Store, id: number): Promise<BatchLineRow[]> {
  return (await store.knex('llm_batch_lines').where({ batch: id }).orderBy('id')) as BatchLineRow[];
}

export async function markLines(
  trx: Store['knex'],
  batch: number,
  updates: Array<{ customId: string; status: 'done' | 'redo'; error?: string | null }>,
): Promise<void> {
  for (const u of updates)
    await trx('llm_batch_lines')
      .where({ batch, custom_id: u.customId })
      .update({ status: u.status, error: u.error ?? null });
}
