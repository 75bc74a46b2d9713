import type { Store } from './db.js';
import { now } from './db.js';
import { completeClaimed } from './claims.js';
import type { InsightItem, WKey } from '../domain.js';

/**
 * Insights and themes rows. Results are written for many reviews in one transaction (the seed's batch commit):
 * the rows and the reviews' status updates commit together, and only where this daemon still holds the claim,
 * so a review whose lease was taken over is never stored twice.
 */
export type AnalysisKind = 'ins' | 'thm';

export interface ThemeTag {
  w: WKey;
  tag: string;
  labelId: number | null;
}

export type ReviewOutcome =
  | { reviewId: number; productId: string; attempts: number; ok: true; insights?: InsightItem[]; themes?: ThemeTag[] }
  | { reviewId: number; productId: string; attempts: number; ok: false; error: string; final: boolean };

export interface WriteResult {
  /** reviews whose claim was still ours and got written */
  reviews: number;
  done: number;
  failed: number;
  retried: number;
  insights: number;
  themes: number;
  unmapped: number;
  /** review ids whose claim had been lost (written by nobody here) */
  lost: number[];
}

const ROWS_PER_INSERT = 100; // SQLite allows ~999 bound variables per statement

/** Deadlocks between concurrent write transactions are resolved by PostgreSQL aborting one: that one runs again. */
const isDeadlock = (err: unknown) => ['40P01', '40001'].includes(String((err as { code?: unknown })?.code ?? ''));

export async function writeOutcomes(store: Store, kind: AnalysisKind, owner: string, outcomes: ReviewOutcome[]): Promise<WriteResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeOnce(store, kind, owner, outcomes);
    } catch (err) {
      if (!isDeadlock(err) || attempt >= 5) throw err;
    }
  }
}

async function writeOnce(store: Store, kind: AnalysisKind, owner: string, outcomes: ReviewOutcome[]): Promise<WriteResult> {
  const res: WriteResult = { reviews: 0, done: 0, failed: 0, retried: 0, insights: 0, themes: 0, unmapped: 0, lost: [] };
  if (!outcomes.length) return res;
  const ts = now();
  // rows are locked in id order, so the insight and theme writers (same reviews, other columns) never deadlock
  const ordered = [...outcomes].sort((a, b) => a.reviewId - b.reviewId);
  await store.knex.transaction(async (trx) => {
    const rows: Record<string, unknown>[] = [];
    for (const o of ordered) {
      const patch: Record<string, unknown> = o.ok
        ? { [`${kind}_status`]: 'done', [`${kind}_error`]: null, [`${kind}_attempts`]: o.attempts }
        : {
            [`${kind}_status`]: o.final ? 'failed' : 'pending',
            [`${kind}_error`]: o.error.slice(0, 1000),
            [`${kind}_attempts`]: o.attempts,
          };
      const n = await completeClaimed(store, kind, owner, [{ id: o.reviewId, patch }], trx as unknown as Store['knex']);
      if (n !== 1) {
        res.lost.push(o.reviewId);
        continue;
      }
      res.reviews++;
      if (!o.ok) {
        if (o.final) res.failed++;
        else res.retried++;
        continue;
      }
      res.done++;
      for (const i of o.insights ?? []) {
        rows.push({
          review_id: o.reviewId,
          product_id: o.productId,
          type: i.type,
          dimension: i.dimension,
          sentiment: i.sentiment,
          quote: i.quote,
          summary_zh: i.summary_zh,
          created_at: ts,
        });
        res.insights++;
      }
      for (const t of o.themes ?? []) {
        rows.push({ review_id: o.reviewId, product_id: o.productId, w: t.w, tag: t.tag, label_id: t.labelId, created_at: ts });
        res.themes++;
        if (t.labelId == null) res.unmapped++;
      }
    }
    const table = kind === 'ins' ? 'insights' : 'themes';
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await trx(table).insert(rows.slice(i, i + ROWS_PER_INSERT));
  });
  return res;
}

/**
 * `--force`: put a product's reviews back to pending and drop their old rows. Reviews this job already claimed or
 * finished are left alone, so every daemon running the same shared job can call it and the work is redone once.
 */
export async function resetForRedo(store: Store, kind: AnalysisKind, productId: string, jobId: number): Promise<number> {
  return store.knex.transaction(async (trx) => {
    const ids = (
      await trx('reviews')
        .where({ product_id: productId })
        .whereNot(`${kind}_status`, 'in_progress')
        .andWhere((q) => q.whereNull(`${kind}_job`).orWhereNot(`${kind}_job`, jobId))
        .select('id')
    ).map((r: { id: number }) => r.id);
    const table = kind === 'ins' ? 'insights' : 'themes';
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      await trx(table).whereIn('review_id', part).delete();
      await trx('reviews')
        .whereIn('id', part)
        .update({ [`${kind}_status`]: 'pending', [`${kind}_attempts`]: 0, [`${kind}_error`]: null, [`${kind}_job`]: jobId });
    }
    return ids.length;
  });
}
