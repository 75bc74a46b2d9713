import type { DaemonContext } from '../../context.js';
import { sleep } from '../../abort.js';
import { StoppingError, VocError } from '../../errors.js';
import { runRounds } from '../../batch/rounds.js';
import { batchList, batchProgress, batchUsage } from '../../batch/progress.js';
import { countClaimable, requeueFailed } from '../../store/translations.js';
import { newTally, type CallTally } from '../call.js';
import { runTranslation, type TranslateRunOptions, type TranslateSummary } from '../run.js';
import type { FailureReason } from '../run-stats.js';
import { knownSecrets, scrubText } from '../../config/redact.js';
import { translationHandler } from './handler.js';
import { planRound } from './plan.js';

/**
 * A translate job through the provider's Batch API: rounds of the engine in src/batch (plan, upload, poll,
 * collect) with the translation handler. After MAX_ROUNDS the rest goes through a realtime run. A cancel keeps
 * what the provider answered and hands the rest of the reviews back to pending.
 */
const MAX_ROUNDS = 3;

export async function runBatchTranslation(ctx: DaemonContext, o: TranslateRunOptions): Promise<TranslateSummary> {
  const api = ctx.gateway.batch;
  if (!api) throw new VocError('NO_BATCH_API', 'this gateway has no Batch API', { hint: 'use translate.mode realtime' });
  const cfg = ctx.config;
  const stopped = () => ctx.signal.aborted || !!o.signal?.aborted;
  const cancelled = () => !!o.cancel?.aborted;
  await requeueFailed(ctx.store, { maxAttempts: cfg.translate.maxAttempts, productId: o.productId });
  const tally: CallTally = newTally();
  const claimable = await countClaimable(ctx.store, o.productId);
  let total = o.limit ? Math.min(o.limit, claimable) : claimable;
  let planned = 0;
  const handler = translationHandler(ctx, tally);
  const progress = async () => o.progress?.(await snapshot(ctx, o.jobId, total, tally));

  const r = await runRounds(ctx, api, {
    jobId: o.jobId,
    handlers: [handler],
    maxRounds: MAX_ROUNDS,
    stopped,
    cancelled,
    progress,
    pause: () => sleep(cfg.translate.batchPollMs, o.signal, o.cancel, ctx.signal),
    plan: async () => {
      if (o.limit && planned >= o.limit) return 0;
      const plan = await planRound(ctx, api, handler, { jobId: o.jobId, productId: o.productId, limit: o.limit, planned, cancelled });
      planned += plan.reviews;
      total = Math.max(total, planned);
      return plan.batches.length;
    },
  });
  if (r.stopped) throw new StoppingError('the daemon is stopping; the batch job resumes after a restart');
  let rest: TranslateSummary | null = null;
  if (!r.cancelled && r.rounds >= MAX_ROUNDS && (await countClaimable(ctx.store, o.productId)) > 0) rest = await runTranslation(ctx, o);
  await progress();
  return summary(ctx, o.jobId, tally, rest, r.cancelled);
}

async function jobCounts(ctx: DaemonContext, jobId: number | null) {
  const rows: Array<{ tr_status: string; class: string; tr_cached: number | boolean | null; n: number | string }> =
    jobId == null
      ? []
      : await ctx.store
          .knex('reviews')
          .where({ tr_job: jobId })
          .groupBy('tr_status', 'class', 'tr_cached')
          .select('tr_status', 'class', 'tr_cached')
          .count({ n: '*' });
  const c = {
    translated: 0,
    skipped: 0,
    cached: 0,
    failed: 0,
    inFlight: 0,
    pending: 0,
    classes: { vip: 0, standard: 0, short: 0 } as Record<string, number>,
  };
  for (const r of rows) {
    const n = Number(r.n);
    if (r.tr_status === 'done') c.translated += n;
    if (r.tr_status === 'done' && r.tr_cached) c.cached += n;
    if (r.tr_status === 'skipped') c.skipped += n;
    if (r.tr_status === 'failed') c.failed += n;
    if (r.tr_status === 'in_progress') c.inFlight += n;
    if (r.tr_status === 'pending') c.pending += n;
    if (r.tr_status !== 'pending') c.classes[r.class] = (c.classes[r.class] ?? 0) + n;
  }
  return c;
}

/** Progress with the provider's counts: reviews in flight count as done in the share of their requests done. */
async function snapshot(ctx: DaemonContext, jobId: number | null, total: number, tally: CallTally): Promise<Record<string, unknown>> {
  const c = await jobCounts(ctx, jobId);
  const batch = await batchProgress(ctx.store, jobId);
  const settled = c.translated + c.skipped + c.failed;
  const done = settled + (batch.requests ? Math.floor((c.inFlight * (batch.completed + batch.failed)) / batch.requests) : 0);
  return {
    total: Math.max(total, settled),
    done,
    translated: c.translated,
    skipped: c.skipped,
    failed: c.failed,
    calls: tally.calls,
    mode: 'batch',
    batch,
  };
}

/** The job's most frequent failure reasons, from the failed reviews' tr_error (as a realtime run counts them). */
async function jobFailures(ctx: DaemonContext, jobId: number | null, failed: number): Promise<FailureReason[]> {
  if (jobId == null || failed === 0) return [];
  const rows = (await ctx.store
    .knex('reviews')
    .where({ tr_job: jobId, tr_status: 'failed' })
    .groupBy('tr_error')
    .select('tr_error')
    .count({ n: '*' })
    .orderBy('n', 'desc')
    .limit(3)) as Array<{ tr_error: string | null; n: number | string }>;
  return rows.map((r) => ({ error: scrubText(r.tr_error ?? 'unknown error', knownSecrets()), reviews: Number(r.n) }));
}

async function summary(
  ctx: DaemonContext,
  jobId: number | null,
  tally: CallTally,
  rest: TranslateSummary | null,
  cancelled: boolean,
): Promise<TranslateSummary> {
  const c = await jobCounts(ctx, jobId);
  const usage = await batchUsage(ctx.store, jobId);
  return {
    reviews: c.translated + c.skipped + c.failed,
    translated: c.translated,
    skipped: c.skipped,
    cached: c.cached,
    converted: rest?.converted ?? 0,
    failed: c.failed,
    failures: await jobFailures(ctx, jobId, c.failed),
    // realtime calls only: redone lines (and a realtime pass after the last round)
    calls: tally.calls + (rest?.calls ?? 0),
    batchRequests: usage.requests,
    batches: await batchList(ctx.store, jobId),
    promptTokens: tally.promptTokens + usage.promptTokens + (rest?.promptTokens ?? 0),
    completionTokens: tally.completionTokens + usage.completionTokens + (rest?.completionTokens ?? 0),
    cost: Math.round((tally.cost + usage.cost + (rest?.cost ?? 0)) * 1e6) / 1e6,
    batchCost: Math.round(usage.cost * 1e6) / 1e6,
    classes: { vip: c.classes.vip ?? 0, standard: c.classes.standard ?? 0, short: c.classes.short ?? 0 },
    fallbacks: tally.fallbacks + (rest?.fallbacks ?? 0),
    simulated: tally.simulated || !!rest?.simulated || ctx.gateway.stats().simulated,
    mode: 'batch',
    // a cancelled job: the reviews it handed back to pending (claimed for this job, not settled)
    ...(cancelled ? { cancelled: true, released: c.pending } : {}),
  };
}
