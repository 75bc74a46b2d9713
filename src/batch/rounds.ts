import type { DaemonContext } from '../context.js';
import type { BatchApi } from '../llm/types.js';
import { getBatch, leaseBatches, markCancelled, openBatchCount, type BatchRow } from '../store/batches.js';
import type { CollectResult } from './collect.js';
import { advance } from './drive.js';
import type { BatchHandler } from './types.js';

/**
 * A job through the provider's Batch API, whatever its kind. Rounds: plan (claim what is pending in scope into
 * batch files), drive the job's batches (upload, create, poll) until the provider is done, collect; what arrived or
 * was handed back meanwhile makes the next round. Any daemon running the job drives any open batch whose driver's
 * lease ran out, so a dead daemon's batches are resumed, not redone.
 *
 * A cancel stops the planning; the job's open batches are marked and driven down the cancel path (see drive.ts)
 * until none is open. It is read from the job row, so a daemon restarted half-way through finishes it.
 */
/** How long a batch holds its reviews without a renewal: the 24 h window and an hour to collect. */
export const BATCH_HOLD_MS = 25 * 3600_000;
/** steps one row may take in one poll (prepared -> uploading -> uploaded -> creating -> submitted) */
const STEPS_PER_POLL = 5;

export interface RoundsOptions {
  jobId: number | null;
  handlers: BatchHandler[];
  /** plan one round; the batches it wrote (none: nothing left to send) */
  plan: () => Promise<number>;
  maxRounds: number;
  /** the daemon or the service is stopping */
  stopped: () => boolean;
  /** the job was cancelled */
  cancelled: () => boolean;
  progress: () => Promise<void>;
  /** waits one poll interval, woken early by a stop or a cancel */
  pause: () => Promise<void>;
  onCollected?: (r: CollectResult) => void;
}

export interface RoundsResult {
  rounds: number;
  cancelled: boolean;
  /** stopped before the end: the job resumes after a restart */
  stopped: boolean;
}

export async function runRounds(ctx: DaemonContext, api: BatchApi, o: RoundsOptions): Promise<RoundsResult> {
  const cfg = ctx.config;
  const byKind = new Map(o.handlers.map((h) => [h.kind, h]));
  let rounds = 0;
  let marked = false;
  while (!o.stopped()) {
    const cancelled = o.jobId != null && o.cancelled();
    if (cancelled && !marked) {
      await markCancelled(ctx.store, o.jobId!);
      marked = true;
    }
    const leased = await leaseBatches(ctx.store, {
      owner: ctx.daemonId,
      leaseMs: cfg.daemon.leaseMs,
      holdMs: BATCH_HOLD_MS,
      kinds: [...byKind.keys()],
      jobId: o.jobId,
      // winding down for a cancel: the job's own batches only
      orphans: !cancelled,
    });
    for (const first of leased) {
      let row: BatchRow = first;
      const handler = byKind.get(row.kind)!;
      for (let step = 0; step < STEPS_PER_POLL && !o.stopped(); step++) {
        const before = `${row.state}/${row.provider_status}`;
        const done = await advance(ctx, api, row, handler);
        if (done) {
          o.onCollected?.(done);
          break;
        }
        row = await getBatch(ctx.store, row.id);
        if (`${row.state}/${row.provider_status}` === before) break;
      }
    }
    if (o.stopped()) break;
    if ((await openBatchCount(ctx.store, o.jobId)) === 0) {
      if (cancelled || rounds >= o.maxRounds) break;
      const planned = await o.plan();
      if (!planned) break;
      rounds++;
      // a cancel that came while planning reaches the new batches on the next turn
      continue;
    }
    await o.progress();
    await o.pause();
  }
  if (o.stopped()) {
    // hand our batches to whichever daemon polls next, without waiting for the lease to run out
    await ctx.store
      .knex('llm_batches')
      .where({ driver: ctx.daemonId })
      .update({ driver: null, driver_lease: null })
      .catch(() => {});
    return { rounds, cancelled: o.cancelled(), stopped: true };
  }
  return { rounds, cancelled: o.jobId != null && o.cancelled(), stopped: false };
}
