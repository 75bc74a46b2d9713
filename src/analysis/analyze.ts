import type { DaemonContext } from '../context.js';
import type { LlmLane } from '../config/schema.js';
import { claimReviews, releaseClaims, renewLeases } from '../store/claims.js';
import { resetForRedo, type AnalysisKind, type ReviewOutcome, type WriteResult } from '../store/insights.js';
import { errorMessage } from '../errors.js';
import { analyseBatch, planBatches, type BatchEnv, type ClaimedReview } from './extract.js';
import { OutcomeWriter } from './writer.js';
import { sleep } from '../abort.js';
import { BATCH_OWNER_PREFIX } from '../store/batches.js';

/**
 * Insights and themes of one product: reviews are claimed from the store in chunks (leased, so daemons share the
 * work and a crashed daemon's claims are redone), cut into keyed batches, run as lane tasks on insight_extraction
 * and theme_extraction (both lanes at once) and written back 20 reviews per transaction.
 */
export const LANE_OF: Record<AnalysisKind, LlmLane> = { ins: 'insight_extraction', thm: 'theme_extraction' };

/** Claim loops per lane: one claims the next chunk while the other's batches are still in flight. */
const LOOPS_PER_KIND = 2;
const IDLE_POLL_MS = 250;

export interface KindProgress {
  todo: number;
  done: number;
  failed: number;
}

export interface AnalyseEnv extends BatchEnv {
  stopping: () => boolean;
  progress: Record<AnalysisKind, KindProgress>;
  onProgress: () => void;
  /** the job counted every product's work up front, so the progress total does not grow as products start */
  precounted?: boolean;
}

export async function pendingCount(
  ctx: DaemonContext,
  kind: AnalysisKind,
  productId: string,
  statuses: string[],
  notOwner?: string,
): Promise<number> {
  const q = ctx.store.knex('reviews').where({ product_id: productId }).whereIn(`${kind}_status`, statuses);
  // our own claims are in flight in the other loop or waiting in the write buffer: not something to wait for; nor
  // are reviews a Batch API batch holds (another job's, for up to a day)
  const owner = `${kind}_owner`;
  if (notOwner)
    q.andWhere((w) => w.whereNull(owner).orWhere((o) => o.whereNot(owner, notOwner).andWhereNot(owner, 'like', `${BATCH_OWNER_PREFIX}%`)));
  const row = await q.count<{ n: number }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Written outcomes into the job's tally, its progress and the daemon's counters. */
export function applyWrite(env: AnalyseEnv, kind: AnalysisKind, res: WriteResult): void {
  const c = env.ctx.counters.analysis;
  const p = env.progress[kind];
  p.done += res.done;
  p.failed += res.failed;
  env.tally.failed += res.failed;
  env.tally.insights += res.insights;
  env.tally.themes += res.themes;
  env.tally.unmapped += res.unmapped;
  c.insights += res.insights;
  c.themes += res.themes;
  c.unmappedTags += res.unmapped;
  if (kind === 'ins') {
    c.reviewsAnalysed += res.done;
    c.insightsPerReview = c.reviewsAnalysed ? Math.round((c.insights / c.reviewsAnalysed) * 100) / 100 : 0;
  }
  env.onProgress();
}

async function runKind(env: AnalyseEnv, kind: AnalysisKind, productId: string): Promise<void> {
  const { ctx } = env;
  const owner = ctx.daemonId;
  const leaseMs = ctx.config.daemon.leaseMs;
  const writer = new OutcomeWriter(ctx.store, kind, owner, ctx.config.analysis.writeBatch, (res) => applyWrite(env, kind, res));
  const letGo = ctx.leases.keep(() => renewLeases(ctx.store, kind, owner, leaseMs));

  const runChunk = async (rows: ClaimedReview[]) => {
    const batches = planBatches(rows, ctx.config.analysis.batchSize);
    await Promise.all(
      batches.map(async (batch) => {
        let outs: ReviewOutcome[];
        try {
          outs = await ctx.lanes.submit({
            lane: LANE_OF[kind],
            label: `${kind === 'ins' ? 'insights' : 'themes'} ${batch[0].class} batch x${batch.length}${env.jobId != null ? ` (job ${env.jobId})` : ''}`,
            productId,
            jobId: env.jobId,
            run: ({ signal }) => analyseBatch(env, kind, batch, signal),
          });
        } catch (err) {
          // the daemon is draining: hand the reviews back uncounted instead of failing them
          if (ctx.signal.aborted || env.stopping()) {
            await releaseClaims(
              ctx.store,
              kind,
              owner,
              batch.map((r) => r.id),
            ).catch(() => {});
            return;
          }
          const error = errorMessage(err);
          outs = batch.map((r) => {
            const attempts = Number((kind === 'ins' ? r.ins_attempts : r.thm_attempts) ?? 0) + 1;
            return {
              reviewId: r.id,
              productId: r.product_id,
              attempts,
              ok: false,
              error,
              final: attempts >= ctx.config.analysis.maxAttempts,
            };
          });
        }
        if (ctx.signal.aborted || env.stopping()) {
          // calls cut short by shutdown are not attempts: those reviews go back untried, the rest are written
          const cut = outs.filter((o) => !o.ok).map((o) => o.reviewId);
          if (cut.length) await releaseClaims(ctx.store, kind, owner, cut).catch(() => {});
          outs = outs.filter((o) => o.ok);
        }
        await writer.add(outs);
      }),
    );
  };

  const loop = async () => {
    // claims walk the product's (product_id, id) index forward from the last id claimed, so a product of 100,000
    // reviews is not re-read from its first review on every claim; one walk from the start at the end picks up
    // what was handed back or whose lease expired behind it
    let after = 0;
    while (!env.stopping() && !ctx.signal.aborted) {
      const rows = (await claimReviews(ctx.store, kind, {
        owner,
        leaseMs,
        limit: ctx.config.analysis.chunkSize,
        productId,
        jobId: env.jobId,
        afterId: after,
      })) as ClaimedReview[];
      if (rows.length) {
        after = rows[rows.length - 1].id;
        await runChunk(rows);
        continue;
      }
      if (after > 0) {
        after = 0;
        continue;
      }
      // reviews to try again sit in the write buffer: write them now so they can be claimed again
      if (writer.hasRetries()) {
        await writer.flush();
        continue;
      }
      // nothing claimable: done unless another daemon still holds some (its lease may expire and come back)
      if ((await pendingCount(ctx, kind, productId, ['in_progress', 'pending'], owner)) === 0) return;
      // while waiting, commit what we hold: another daemon may be waiting for our buffered reviews in turn
      await writer.flush();
      await sleep(IDLE_POLL_MS);
    }
  };
  try {
    await Promise.all(Array.from({ length: LOOPS_PER_KIND }, loop));
  } finally {
    letGo();
    await writer.flush();
  }
}

/** Analyse one (learned) product to the end: both lanes concurrently. */
export async function analyseProduct(env: AnalyseEnv, productId: string, o: { force?: boolean }): Promise<void> {
  const { ctx } = env;
  for (const kind of ['ins', 'thm'] as const) {
    if (o.force && env.jobId != null) await resetForRedo(ctx.store, kind, productId, env.jobId);
    if (!env.precounted) env.progress[kind].todo += await pendingCount(ctx, kind, productId, ['pending', 'in_progress']);
  }
  env.onProgress();
  await Promise.all([runKind(env, 'ins', productId), runKind(env, 'thm', productId)]);
}
