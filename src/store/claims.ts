import type { Knex } from 'knex';
import type { Store } from './db.js';
import { now } from './db.js';
import type { ReviewRow } from './reviews.js';

/**
 * Per-review work (translation, insights, themes) is claimed from the reviews table with a lease, so a crashed
 * daemon's claims expire and several daemons can share one database. Each kind has its own column group.
 */
export type WorkKind = 'tr' | 'ins' | 'thm';

export interface ClaimOptions {
  owner: string;
  leaseMs: number;
  limit: number;
  productId?: string | null;
  jobId?: number | null;
  /** only reviews with id greater than this (keeps a scan moving forward) */
  afterId?: number;
  /** extra filter: translation must be settled before analysis when the caller wants translated text */
  requireTranslated?: boolean;
}

/** The columns a claim reads back: only what the caller uses (every column of a chunk of rows is a cost per claim). */
export type ClaimColumns<K extends keyof ReviewRow> = { columns: readonly K[] };

const col = (kind: WorkKind, name: string) => `${kind}_${name}`;

/**
 * Claim up to `limit` pending (or lease-expired) reviews, lowest ids first; PostgreSQL skips rows other daemons
 * hold locked. Pending rows and expired leases are looked up apart, each along the (status, id) index: one query
 * with an OR between them sorted every pending row of a million-row backlog on each claim.
 */
export async function claimReviews(store: Store, kind: WorkKind, o: ClaimOptions): Promise<ReviewRow[]>;
export async function claimReviews<K extends keyof ReviewRow>(
  store: Store,
  kind: WorkKind,
  o: ClaimOptions & ClaimColumns<K>,
): Promise<Array<Pick<ReviewRow, K>>>;
export async function claimReviews(
  store: Store,
  kind: WorkKind,
  o: ClaimOptions & Partial<ClaimColumns<keyof ReviewRow>>,
): Promise<ReviewRow[]> {
  const ts = now();
  const k = store.knex;
  const status = col(kind, 'status');
  const arm = (where: (q: Knex.QueryBuilder) => void) => {
    const q = k('reviews').select('id').orderBy('id').limit(o.limit);
    where(q);
    if (o.productId) q.andWhere('product_id', o.productId);
    if (o.afterId) q.andWhere('id', '>', o.afterId);
    if (o.requireTranslated) q.whereIn('tr_status', ['done', 'skipped', 'failed']);
    if (store.dialect === 'pg') q.forUpdate().skipLocked();
    return q;
  };
  const pending = arm((q) => q.where(status, 'pending'));
  const expired = arm((q) => q.where(status, 'in_progress').andWhere(col(kind, 'lease'), '<', ts));
  const union = k
    .select('id')
    .from(pending.as('p'))
    .unionAll((u) => u.select('id').from(expired.as('e')));
  const sub = k.select('id').from(union.as('u')).orderBy('id').limit(o.limit);
  const patch: Record<string, unknown> = {
    [status]: 'in_progress',
    [col(kind, 'owner')]: o.owner,
    [col(kind, 'lease')]: ts + o.leaseMs,
  };
  if (o.jobId != null) patch[col(kind, 'job')] = o.jobId;
  const run = async (trx: typeof k) => {
    const rows = (await trx('reviews')
      .whereIn('id', sub.clone().transacting(trx as never))
      .update(patch)
      .returning(o.columns ? [...o.columns] : '*')) as ReviewRow[];
    return rows.sort((a, b) => a.id - b.id);
  };
  return store.knex.transaction((trx) => run(trx as unknown as typeof k));
}

/** Write results only where this owner still holds the claim: a review is never stored twice after a takeover. */
export async function completeClaimed(
  store: Store,
  kind: WorkKind,
  owner: string,
  updates: Array<{ id: number; patch: Record<string, unknown> }>,
  trx?: Store['knex'],
): Promise<number> {
  const k = trx ?? store.knex;
  let n = 0;
  for (const u of updates) {
    n += await k('reviews')
      .where({ id: u.id, [col(kind, 'owner')]: owner, [col(kind, 'status')]: 'in_progress' })
      .update({ ...u.patch, [col(kind, 'owner')]: null, [col(kind, 'lease')]: null, [col(kind, 'at')]: now() });
  }
  return n;
}

/** Hand claims back without an attempt counted (shutdown, pause). */
export async function releaseClaims(store: Store, kind: WorkKind, owner: string, ids?: number[]): Promise<number> {
  const q = store.knex('reviews').where({ [col(kind, 'owner')]: owner, [col(kind, 'status')]: 'in_progress' });
  if (ids) q.whereIn('id', ids);
  return q.update({ [col(kind, 'status')]: 'pending', [col(kind, 'owner')]: null, [col(kind, 'lease')]: null });
}

/**
 * Extend the lease of this owner's claims; `jobIds` limits it to claims made for those jobs. The heartbeat passes
 * the jobs this daemon is running: a claim a finished run could not hand back (its store went away) then expires
 * and is taken over, instead of being renewed for as long as the daemon lives.
 */
export async function renewLeases(store: Store, kind: WorkKind, owner: string, leaseMs: number, jobIds?: number[]): Promise<number> {
  if (jobIds && !jobIds.length) return 0;
  const q = store.knex('reviews').where({ [col(kind, 'owner')]: owner, [col(kind, 'status')]: 'in_progress' });
  if (jobIds) q.whereIn(col(kind, 'job'), jobIds);
  return q.update({ [col(kind, 'lease')]: now() + leaseMs });
}

export const WORK_KINDS: WorkKind[] = ['tr', 'ins', 'thm'];
