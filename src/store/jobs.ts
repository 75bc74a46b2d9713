import type { LaneName } from '../config/schema.js';
import type { Store } from './db.js';
import { now } from './db.js';

export type JobKind = 'translate' | 'learn' | 'analyze' | 'report' | 'bullets';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobView {
  id: number;
  kind: JobKind;
  lane: LaneName;
  productId: string | null;
  params: Record<string, unknown>;
  status: JobStatus;
  /** progress while running, the summary when done (kind-specific, see each service) */
  result: Record<string, unknown> | null;
  error: string | null;
  owner: string | null;
  /** when `voc jobs cancel` asked for it (null: never); the job winds down and ends `cancelled` */
  cancelRequestedAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** set by POST /jobs when the request joined a job already open over its scope instead of starting one */
  attached?: boolean;
}

/** What POST /jobs (and a use case, through DaemonContext.submitJob) asks for. */
export interface SubmitJobRequest {
  kind: JobKind;
  productId?: string | null;
  /** kind-specific: translate {limit?}, learn {force?}, analyze {force?, all?}, report {format, since?, all?} */
  params?: Record<string, unknown>;
}

/** Submitted jobs (learn, analyze, report, translate runs) are rows, so a restart resumes them. */
export interface JobRow {
  id: number;
  kind: string;
  lane: string;
  product_id: string | null;
  params: string | null;
  status: JobStatus;
  result: string | null;
  error: string | null;
  owner: string | null;
  lease: number | null;
  attempts: number;
  source: string | null;
  cancel_requested_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

const parse = (s: string | null): Record<string, unknown> | null => {
  if (!s) return null;
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
};

export function toJobView(r: JobRow): JobView {
  return {
    id: Number(r.id),
    kind: r.kind as JobKind,
    lane: r.lane as LaneName,
    productId: r.product_id,
    params: parse(r.params) ?? {},
    status: r.status,
    result: parse(r.result),
    error: r.error,
    owner: r.owner,
    cancelRequestedAt: r.cancel_requested_at == null ? null : Number(r.cancel_requested_at),
    createdAt: Number(r.created_at),
    startedAt: r.started_at == null ? null : Number(r.started_at),
    finishedAt: r.finished_at == null ? null : Number(r.finished_at),
  };
}

export async function insertJob(
  store: Store,
  j: { kind: string; lane: LaneName; productId?: string | null; params?: Record<string, unknown>; source?: string },
): Promise<JobRow> {
  const [row] = (await store
    .knex('jobs')
    .insert({
      kind: j.kind,
      lane: j.lane,
      product_id: j.productId ?? null,
      params: JSON.stringify(j.params ?? {}),
      status: 'queued',
      source: j.source ?? 'cli',
      created_at: now(),
    })
    .returning('*')) as JobRow[];
  return row;
}

export async function getJobRow(store: Store, id: number): Promise<JobRow | undefined> {
  return store.knex('jobs').where({ id }).first();
}

export async function recentJobs(store: Store, limit = 20): Promise<JobRow[]> {
  return store.knex('jobs').select('*').orderBy('id', 'desc').limit(limit);
}

export async function openJobs(store: Store, kinds: string[]): Promise<JobRow[]> {
  if (!kinds.length) return [];
  return store.knex('jobs').select('*').whereIn('kind', kinds).whereIn('status', ['queued', 'running']).orderBy('id');
}

/** A queued or running job of this kind (for this product, when given): automatic jobs never pile up. */
export async function hasOpenJob(store: Store, kind: string, productId?: string): Promise<boolean> {
  const q = store.knex('jobs').select('id').where({ kind }).whereIn('status', ['queued', 'running']);
  if (productId !== undefined) q.where({ product_id: productId });
  const row = await q.first();
  return !!row;
}

/**
 * The oldest open job of `kind` whose scope covers `productId` (every product, or that one) and that has no
 * limit, run in the same mode (`batch` param), and is not being cancelled: work asked of that scope is already on
 * its way there.
 */
export async function openJobCovering(
  store: Store,
  kind: string,
  productId: string | null,
  mode: unknown = null,
): Promise<JobRow | undefined> {
  // a job winding down after `voc jobs cancel` takes no new request in
  const q = store
    .knex('jobs')
    .select('*')
    .where({ kind })
    .whereIn('status', ['queued', 'running'])
    .whereNull('cancel_requested_at')
    .orderBy('id');
  q.andWhere((w) => {
    w.whereNull('product_id');
    if (productId) w.orWhere('product_id', productId);
  });
  const rows = (await q) as JobRow[];
  // a run asked of another mode (realtime while a Batch API job is open, or the other way) is its own job
  return rows.find((r) => parse(r.params)?.limit == null && (parse(r.params)?.batch ?? null) === (mode ?? null));
}

/**
 * Claim queued (or lease-expired) rows of exclusive kinds for one daemon. PostgreSQL skips rows another daemon
 * is claiming right now; SQLite serialises writers anyway.
 */
export async function claimJobs(store: Store, kinds: string[], owner: string, leaseMs: number, limit: number): Promise<JobRow[]> {
  if (!kinds.length || limit <= 0) return [];
  const k = store.knex;
  return k.transaction(async (trx) => {
    const ts = now();
    const sub = trx('jobs')
      .select('id')
      .whereIn('kind', kinds)
      .where((q) => {
        q.where('status', 'queued').orWhere((q2) => q2.where('status', 'running').andWhere('lease', '<', ts));
      })
      .orderBy('id')
      .limit(limit);
    if (store.dialect === 'pg') sub.forUpdate().skipLocked();
    const ids = (await sub).map((r: { id: number }) => r.id);
    if (!ids.length) return [];
    await trx('jobs').whereIn('id', ids).whereNull('started_at').update({ started_at: ts });
    const rows = (await trx('jobs')
      .whereIn('id', ids)
      .update({ status: 'running', owner, lease: ts + leaseMs, attempts: trx.raw('attempts + 1') })
      .returning('*')) as JobRow[];
    return rows.sort((a, b) => a.id - b.id);
  });
}

/** A shared row goes from queued to running once; every daemon then works on it. */
export async function markRunning(store: Store, id: number): Promise<void> {
  await store.knex('jobs').where({ id, status: 'queued' }).update({ status: 'running', started_at: now() });
}

export async function saveProgress(store: Store, id: number, snapshot: Record<string, unknown>): Promise<void> {
  await store
    .knex('jobs')
    .where({ id, status: 'running' })
    .update({ result: JSON.stringify(snapshot) });
}

/**
 * The first runJob to return marks the row done (or cancelled, when the run wound down for a cancel); later ones
 * change nothing. Returns whether this call did it.
 */
export async function finishJob(
  store: Store,
  id: number,
  result: Record<string, unknown>,
  status: 'done' | 'cancelled' = 'done',
): Promise<boolean> {
  const n = await store
    .knex('jobs')
    .where({ id })
    .whereIn('status', ['queued', 'running'])
    .update({ status, result: JSON.stringify(result), finished_at: now(), owner: null, lease: null });
  return Number(n) > 0;
}

export type CancelOutcome =
  /** a queued job: cancelled at once, nothing had started */
  | { outcome: 'cancelled'; row: JobRow }
  /** a running job: asked to wind down; it ends `cancelled` when it has */
  | { outcome: 'requested'; row: JobRow }
  | { outcome: 'finished'; row: JobRow }
  | { outcome: 'missing' };

/**
 * Ask a job to stop. The request is a column of the row, written before anything else is done about it: whichever
 * daemon runs the job (now, or after a restart) sees it and winds the job down; the row ends `cancelled` only when
 * that is over. The open Batch API rows of the job carry it too, so they are cancelled with the provider.
 */
export async function requestCancel(store: Store, id: number): Promise<CancelOutcome> {
  return store.knex.transaction(async (trx) => {
    const ts = now();
    const queued = await trx('jobs')
      .where({ id, status: 'queued' })
      .update({ status: 'cancelled', cancel_requested_at: ts, finished_at: ts, owner: null, lease: null });
    if (Number(queued) === 0) {
      await trx('jobs').where({ id, status: 'running' }).whereNull('cancel_requested_at').update({ cancel_requested_at: ts });
      await trx('llm_batches').where({ job_id: id }).whereNot('state', 'done').update({ cancel_requested: true, updated_at: ts });
    }
    const row = (await trx('jobs').where({ id }).first()) as JobRow | undefined;
    if (!row) return { outcome: 'missing' as const };
    if (Number(queued) > 0) return { outcome: 'cancelled' as const, row };
    if (row.status === 'running') return { outcome: 'requested' as const, row };
    return { outcome: 'finished' as const, row };
  });
}

/** Which of these rows (the ones a daemon runs) have been asked to stop: other daemons of a cluster see it here. */
export async function cancelRequested(store: Store, ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await store.knex('jobs').whereIn('id', ids).whereNotNull('cancel_requested_at').select('id');
  return rows.map((r: { id: number }) => Number(r.id));
}

export async function failJob(store: Store, id: number, error: string): Promise<boolean> {
  const n = await store
    .knex('jobs')
    .where({ id })
    .whereIn('status', ['queued', 'running'])
    .update({ status: 'failed', error: error.slice(0, 2000), finished_at: now(), owner: null, lease: null });
  return Number(n) > 0;
}

/** Give this daemon's running rows back to the queue (shutdown, or a restart finding its own stale claims). */
export async function releaseJobs(store: Store, owner: string, ids?: number[]): Promise<number> {
  const q = store.knex('jobs').where({ owner, status: 'running' });
  if (ids) q.whereIn('id', ids);
  return q.update({ status: 'queued', owner: null, lease: null });
}

/** Extend the leases of the rows this daemon is running now (`ids`); a row it lost track of expires. */
export async function renewJobLeases(store: Store, owner: string, leaseMs: number, ids: number[]): Promise<number> {
  if (!ids.length) return 0;
  return store
    .knex('jobs')
    .where({ owner, status: 'running' })
    .whereIn('id', ids)
    .update({ lease: now() + leaseMs });
}
