import type { Store } from './db.js';
import { now } from './db.js';
import type { WorkKind } from './claims.js';

/**
 * Rows of the provider's Batch API (see the migrations): a batch is written, with its lines and the claims of its
 * reviews handed to it, before its file is uploaded; each later step saves what the provider answered before the
 * next step runs. A batch holds its reviews under the owner `batch:<id>`, so they stay claimed whichever daemon
 * (if any) is running, and a realtime run never waits for them or takes them.
 *
 * A row is filled window by window (`planning`): each window's lines and the claims of exactly those reviews move
 * to the row in one transaction, so a large round never sits in memory, and a planner killed half-way leaves a
 * smaller batch that is whole, which the next driver sends as it is.
 */
export type BatchState = 'planning' | 'prepared' | 'uploading' | 'uploaded' | 'creating' | 'submitted' | 'collecting' | 'done';
export const OPEN_STATES: BatchState[] = ['planning', 'prepared', 'uploading', 'uploaded', 'creating', 'submitted', 'collecting'];
export const BATCH_OWNER_PREFIX = 'batch:';

/** What a batch row carries, and the review claims its reviews are held under. */
export type BatchKind = 'translate' | 'insights' | 'themes';
export const CLAIM_OF: Record<BatchKind, WorkKind> = { translate: 'tr', insights: 'ins', themes: 'thm' };

export interface BatchRow {
  id: number;
  job_id: number | null;
  kind: BatchKind;
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
  /** `voc jobs cancel`: cancel with the provider, keep what was answered, hand the rest back */
  cancel_requested: boolean;
  created_at: number;
  updated_at: number;
}

export interface BatchLineRow {
  id: number;
  batch: number;
  custom_id: string;
  cls: string;
  /** JSON, kind-specific: [{hash, norm, lang?}] for a translation, [{id}] (review ids) for insights and themes */
  texts: string;
  status: 'pending' | 'done' | 'redo';
  error: string | null;
}

export const batchOwner = (id: number) => `${BATCH_OWNER_PREFIX}${id}`;

const claimCols = (kind: BatchKind) => {
  const c = CLAIM_OF[kind];
  return { status: `${c}_status`, owner: `${c}_owner`, lease: `${c}_lease` };
};

/** A row to fill window by window; its planner drives it (holds its lease) while it fills it. */
export async function openBatchRow(
  store: Store,
  o: { jobId: number | null; kind: BatchKind; nonce: string; owner: string; leaseMs: number },
): Promise<number> {
  const ts = now();
  const [row] = await store
    .knex('llm_batches')
    .insert({
      job_id: o.jobId,
      kind: o.kind,
      state: 'planning',
      nonce: o.nonce,
      requests: 0,
      bytes: 0,
      driver: o.owner,
      driver_lease: ts + o.leaseMs,
      created_at: ts,
      updated_at: ts,
    })
    .returning('id');
  return Number(typeof row === 'object' ? row.id : row);
}

/**
 * One transaction: a window's lines, and the claims of its reviews moved from the planner to the batch (those the
 * planner still holds; a review whose claim it lost is its new owner's). Returns the lines written.
 */
export async function appendWindow(
  store: Store,
  id: number,
  kind: BatchKind,
  o: {
    owner: string;
    leaseMs: number;
    holdMs: number;
    reviewIds: number[];
    lines: Array<{ customId: string; cls: string; texts: string; bytes: number }>;
  },
): Promise<number> {
  const c = claimCols(kind);
  return store.knex.transaction(async (trx) => {
    const ts = now();
    for (let i = 0; i < o.reviewIds.length; i += 800) {
      await trx('reviews')
        .whereIn('id', o.reviewIds.slice(i, i + 800))
        .where({ [c.owner]: o.owner, [c.status]: 'in_progress' })
        .update({ [c.owner]: batchOwner(id), [c.lease]: ts + o.holdMs });
    }
    const rows = o.lines.map((l) => ({ batch: id, custom_id: l.customId, cls: l.cls, texts: l.texts, status: 'pending' }));
    for (let i = 0; i < rows.length; i += 150) await trx('llm_batch_lines').insert(rows.slice(i, i + 150));
    await trx('llm_batches')
      .where({ id })
      .update({
        requests: trx.raw('requests + ?', [o.lines.length]),
        bytes: trx.raw('bytes + ?', [o.lines.reduce((n, l) => n + l.bytes, 0)]),
        driver_lease: ts + o.leaseMs,
        updated_at: ts,
      });
    return o.lines.length;
  });
}

export async function updateBatch(store: Store, id: number, patch: Partial<BatchRow>): Promise<void> {
  await store
    .knex('llm_batches')
    .where({ id })
    .update({ ...patch, updated_at: now() });
}

/**
 * Open batches of these kinds this daemon may drive: its own, unowned ones and those whose driver's lease ran out
 * (it died). With `jobId`, that job's batches, and (unless `orphans` is false) those of jobs no longer open.
 * Taking one renews the lease of its reviews too.
 */
export async function leaseBatches(
  store: Store,
  o: { owner: string; leaseMs: number; holdMs: number; kinds: BatchKind[]; jobId?: number | null; orphans?: boolean },
): Promise<BatchRow[]> {
  const ts = now();
  const free = (w: ReturnType<Store['knex']>) => w.whereNull('driver').orWhere('driver', o.owner).orWhere('driver_lease', '<', ts);
  const q = store.knex('llm_batches').whereIn('state', OPEN_STATES).whereIn('kind', o.kinds).where(free);
  if (o.jobId != null)
    q.andWhere((w) => {
      w.where('job_id', o.jobId!);
      if (o.orphans !== false)
        w.orWhereNotIn('job_id', store.knex('jobs').select('id').whereIn('status', ['queued', 'running'])).orWhereNull('job_id');
    });
  const ids: number[] = (await q.orderBy('id').select('id')).map((r: { id: number }) => Number(r.id));
  const mine: BatchRow[] = [];
  for (const id of ids) {
    const n = await store
      .knex('llm_batches')
      .where({ id })
      .whereIn('state', OPEN_STATES)
      .where(free)
      .update({ driver: o.owner, driver_lease: ts + o.leaseMs });
    if (!n) continue;
    const row = await getBatch(store, id);
    const c = claimCols(row.kind);
    await store
      .knex('reviews')
      .where({ [c.owner]: batchOwner(id), [c.status]: 'in_progress' })
      .update({ [c.lease]: ts + o.holdMs });
    mine.push(row);
  }
  return mine;
}

export async function getBatch(store: Store, id: number): Promise<BatchRow> {
  const row = (await store.knex('llm_batches').where({ id }).first()) as BatchRow;
  return {
    ...row,
    id: Number(row.id),
    job_id: row.job_id == null ? null : Number(row.job_id),
    requests: Number(row.requests),
    completed: Number(row.completed),
    failed: Number(row.failed),
    bytes: Number(row.bytes),
    cost: Number(row.cost),
    cancel_requested: !!row.cancel_requested,
  };
}

/** Open batches of a job (or of every job), whoever drives them. */
export async function openBatchCount(store: Store, jobId?: number | null): Promise<number> {
  const q = store.knex('llm_batches').whereIn('state', OPEN_STATES);
  if (jobId != null) q.andWhere('job_id', jobId);
  const row = await q.count<{ n: number }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** A cancel reached the job: its open batches carry it (batches a planner wrote after the request included). */
export async function markCancelled(store: Store, jobId: number): Promise<void> {
  await store
    .knex('llm_batches')
    .where({ job_id: jobId, cancel_requested: false })
    .whereIn('state', OPEN_STATES)
    .update({ cancel_requested: true, updated_at: now() });
}

export async function batchesOfJob(store: Store, jobId: number): Promise<BatchRow[]> {
  return (await store.knex('llm_batches').where({ job_id: jobId }).orderBy('id')) as BatchRow[];
}

/** Batches still with the provider or being collected, newest first (for `voc status`). */
export async function batchesInFlight(store: Store, limit = 20): Promise<BatchRow[]> {
  return (await store.knex('llm_batches').whereIn('state', OPEN_STATES).orderBy('id', 'desc').limit(limit)) as BatchRow[];
}

/** Lines of a batch in id order, a page at a time (`afterId` keeps the scan moving): a 50,000-line file never sits in memory. */
export async function linesPage(
  store: Store,
  id: number,
  o: { afterId?: number; limit: number; status?: BatchLineRow['status'] },
): Promise<BatchLineRow[]> {
  const q = store
    .knex('llm_batch_lines')
    .where({ batch: id })
    .andWhere('id', '>', o.afterId ?? 0)
    .orderBy('id')
    .limit(o.limit);
  if (o.status) q.andWhere('status', o.status);
  return ((await q) as BatchLineRow[]).map((l) => ({ ...l, id: Number(l.id) }));
}

/** Every line of a batch, page by page. */
export async function* eachLinePage(
  store: Store,
  id: number,
  o: { pageSize: number; status?: BatchLineRow['status'] },
): AsyncGenerator<BatchLineRow[]> {
  let after = 0;
  for (;;) {
    const page = await linesPage(store, id, { afterId: after, limit: o.pageSize, status: o.status });
    if (!page.length) return;
    yield page;
    after = page[page.length - 1].id;
  }
}

export async function linesById(store: Store, id: number, customIds: string[]): Promise<Map<string, BatchLineRow>> {
  const out = new Map<string, BatchLineRow>();
  for (let i = 0; i < customIds.length; i += 800) {
    const rows = (await store
      .knex('llm_batch_lines')
      .where({ batch: id })
      .whereIn('custom_id', customIds.slice(i, i + 800))) as BatchLineRow[];
    for (const r of rows) out.set(r.custom_id, { ...r, id: Number(r.id) });
  }
  return out;
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

/** Review ids a batch still holds (a page at a time, in id order). */
export async function heldReviews(store: Store, row: BatchRow, o: { afterId?: number; limit: number }): Promise<number[]> {
  const c = claimCols(row.kind);
  const rows = await store
    .knex('reviews')
    .where({ [c.owner]: batchOwner(row.id), [c.status]: 'in_progress' })
    .andWhere('id', '>', o.afterId ?? 0)
    .orderBy('id')
    .limit(o.limit)
    .select('id');
  return rows.map((r: { id: number }) => Number(r.id));
}
