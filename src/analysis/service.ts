import type { DaemonContext } from '../context.js';
import type { Service, ServiceJob } from '../lanes/types.js';
import { StoppingError, VocError } from '../errors.js';
import { learnState, noSuchProduct, productIds } from '../store/labels.js';
import { createLabelCache, type LabelCache } from './label-cache.js';
import { learnProduct, type LearnResult } from './learn.js';
import { analyseProduct, pendingCount, type AnalyseEnv } from './analyze.js';
import { startAutoTriggers } from './auto.js';
import { addTally, newTally, summaryOf } from './tally.js';
import { analysisHandler, planAnalysisRound } from './batch.js';
import { runRounds } from '../batch/rounds.js';
import { batchProgress, batchUsage, type BatchProgress } from '../batch/progress.js';
import { resetForRedo } from '../store/insights.js';
import { sleep } from '../abort.js';

/**
 * The analysis service: `learn` jobs (exclusive: one daemon learns a product) and `analyze` jobs (shared: every
 * daemon of a cluster claims reviews of the same job; review-level claims keep the work exactly-once).
 */
export interface AnalysisService extends Service {
  labelCache: LabelCache;
  /** resolves when the start-up check for never-learned products has queued its jobs */
  ready: Promise<void>;
  /** resolves when the automatic checks queued so far (new products, settled translations) have run */
  autoIdle(): Promise<void>;
}

/** Batch API rounds before what is left is analysed in realtime */
const MAX_BATCH_ROUNDS = 3;

function learnSummary(r: LearnResult, simulated: boolean): Record<string, unknown> {
  return {
    productId: r.productId,
    outcome: r.outcome,
    dimensions: r.dimensions,
    labels: r.labels,
    attempts: r.attempts,
    error: r.error,
    ...summaryOf(r.tally),
    simulated,
  };
}

export function createAnalysisService(ctx: DaemonContext): AnalysisService {
  const a = ctx.config.analysis;
  const labelCache = createLabelCache({
    store: ctx.store,
    redis: ctx.redis,
    keyPrefix: ctx.config.redis.keyPrefix,
    ttlSec: a.labelCacheTtlSec,
    size: a.labelCacheSize,
    stats: ctx.counters.analysis,
  });
  const auto = startAutoTriggers(ctx);
  let stopping = false;
  // output from the simulator is labelled as such, also when a run made no call at all
  const simulated = () => ctx.gateway.stats().simulated;
  const stopCheck = () => {
    if (stopping || ctx.signal.aborted) throw new StoppingError('the daemon is stopping; the job resumes after a restart');
  };

  async function runLearn(job: ServiceJob): Promise<Record<string, unknown>> {
    if (!job.productId) throw new VocError('BAD_JOB', 'a learn job needs a product');
    const r = await learnProduct(ctx, labelCache, job.productId, { force: job.params.force === true, jobId: job.id });
    stopCheck();
    if (r.outcome === 'failed') throw new VocError('LEARN_FAILED', `learning ${job.productId} failed: ${r.error ?? 'unknown reason'}`);
    return learnSummary(r, simulated());
  }

  async function runAnalyze(job: ServiceJob, progress: (s: Record<string, unknown>) => void): Promise<Record<string, unknown>> {
    const all = job.params.all === true;
    if (!all && !job.productId) throw new VocError('BAD_JOB', 'an analyze job needs a product or params.all');
    const products = all ? await productIds(ctx.store) : [job.productId!];
    // `--batch`: insights and themes through the provider's Batch API (learning stays realtime, the fast lane)
    const batchApi = job.params.batch === true ? ctx.gateway.batch : undefined;
    if (job.params.batch === true && !batchApi)
      throw new VocError('NO_BATCH_API', 'this gateway has no Batch API', { hint: 'run `voc analyze` without --batch' });
    const cancelled = () => !!job.signal?.aborted;
    const tally = newTally();
    tally.simulated = simulated();
    const learned: Array<Record<string, unknown>> = [];
    const skipped: Array<{ productId: string; reason: string }> = [];
    const env: AnalyseEnv = {
      ctx,
      cache: labelCache,
      tally,
      jobId: job.id,
      // a cancel stops the claiming like a stop does; what is in flight finishes and is kept
      stopping: () => stopping || cancelled(),
      progress: { ins: { todo: 0, done: 0, failed: 0 }, thm: { todo: 0, done: 0, failed: 0 } },
      onProgress: () => progress(snapshot(batch ? 'batch' : 'analysing')),
    };
    let current: string[] = [];
    /** the provider's counts while Batch API batches run */
    let batch: BatchProgress | null = null;
    /** learned products, ready for the Batch API */
    const ready: string[] = [];
    const snapshot = (phase: string): Record<string, unknown> => {
      const p = env.progress;
      const todo = p.ins.todo + p.thm.todo;
      const done = p.ins.done + p.ins.failed + p.thm.done + p.thm.failed;
      return {
        phase,
        products: products.length,
        current,
        insights: { ...p.ins },
        themes: { ...p.thm },
        total: todo,
        done,
        ...summaryOf(tally),
        ...(batch ? { mode: 'batch', batch } : {}),
      };
    };

    const one = async (productId: string) => {
      stopCheck();
      if (cancelled()) return;
      current = [...current, productId];
      progress(snapshot('learning'));
      const state = await learnState(ctx.store, productId);
      if (!state) throw noSuchProduct(productId);
      if (state.status !== 'done') {
        const r = await learnProduct(ctx, labelCache, productId, { jobId: job.id });
        addTally(tally, r.tally);
        learned.push(learnSummary(r, simulated()));
        if (r.outcome === 'failed') {
          // without a model there are no dimensions or labels to map to: the product waits for a relearn
          if (!all)
            throw new VocError('LEARN_FAILED', `learning ${productId} failed: ${r.error ?? 'unknown reason'}`, {
              hint: `try again with \`voc learn ${productId} --force\``,
            });
          skipped.push({ productId, reason: r.error ?? 'learning failed' });
          return;
        }
      }
      if (batchApi) ready.push(productId);
      else await analyseProduct(env, productId, { force: job.params.force === true });
      current = current.filter((p) => p !== productId);
    };

    // count the whole job's work first: a progress bar whose total grows as products start is no progress bar
    const statuses = job.params.force === true ? ['pending', 'in_progress', 'done', 'failed'] : ['pending', 'in_progress'];
    for (const productId of products) {
      for (const kind of ['ins', 'thm'] as const) env.progress[kind].todo += await pendingCount(ctx, kind, productId, statuses);
    }
    env.precounted = true;
    progress(snapshot('analysing'));
    // products of a marketplace dump mostly have a handful of reviews, so one product is a learning call and one
    // or two extraction calls, each a round trip: it takes ~30 in flight to keep a 25/s budget busy (4 left it at
    // 2-7 requests/s). The lanes and the gateway still bound the real concurrency.
    const queue = [...products];
    await Promise.all(
      Array.from({ length: Math.min(a.productsAtOnce, queue.length) }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) await one(id);
      }),
    );
    stopCheck();
    if (batchApi) {
      if (job.params.force === true)
        for (const p of ready) for (const kind of ['ins', 'thm'] as const) await resetForRedo(ctx.store, kind, p, job.id);
      const handlers = { ins: analysisHandler(env, 'ins'), thm: analysisHandler(env, 'thm') };
      batch = await batchProgress(ctx.store, job.id);
      const r = await runRounds(ctx, batchApi, {
        jobId: job.id,
        handlers: [handlers.ins, handlers.thm],
        maxRounds: MAX_BATCH_ROUNDS,
        stopped: () => stopping || ctx.signal.aborted,
        cancelled,
        progress: async () => {
          batch = await batchProgress(ctx.store, job.id);
          progress(snapshot('batch'));
        },
        pause: () => sleep(ctx.config.translate.batchPollMs, job.signal, ctx.signal),
        plan: () => planAnalysisRound(env, batchApi, handlers, { products: ready, cancelled }),
      });
      stopCheck();
      batch = null;
      // what the rounds left (lines that failed again, reviews that arrived meanwhile) goes through realtime
      if (!r.cancelled) for (const p of ready) if (!cancelled()) await analyseProduct(env, p, {});
      stopCheck();
    }
    tally.reviews = Math.max(env.progress.ins.done + env.progress.ins.failed, env.progress.thm.done + env.progress.thm.failed);
    ctx.events.emit('log:line', {
      text: `analysed ${products.length === 1 ? products[0] : `${products.length} products`}: ${tally.reviews} reviews, ${tally.insights} insights, ${tally.themes} themes (${tally.unmapped} unmapped), ${tally.droppedQuotes} made-up quotes dropped`,
    });
    const done = { ...summaryOf(tally), products: products.length, learned, skipped };
    const used = batchApi ? await batchUsage(ctx.store, job.id) : null;
    const withBatch = used
      ? {
          ...done,
          // calls: realtime only (learning and redone lines); the Batch API requests are counted apart, at their price
          batchRequests: used.requests,
          promptTokens: tally.promptTokens + used.promptTokens,
          completionTokens: tally.completionTokens + used.completionTokens,
          cost: Math.round((tally.cost + used.cost) * 1e6) / 1e6,
          batchCost: Math.round(used.cost * 1e6) / 1e6,
          mode: 'batch',
        }
      : done;
    return cancelled() ? { ...withBatch, cancelled: true, released: await releasedOf(job.id) } : withBatch;
  }

  /** Reviews a cancelled job had claimed and handed back unanalysed. */
  async function releasedOf(jobId: number): Promise<number> {
    const row = await ctx.store
      .knex('reviews')
      .where((w) => w.where({ ins_job: jobId, ins_status: 'pending' }).orWhere({ thm_job: jobId, thm_status: 'pending' }))
      .count<{ n: number }[]>({ n: '*' })
      .first();
    return Number(row?.n ?? 0);
  }

  return {
    name: 'analysis',
    kinds: { learn: 'exclusive', analyze: 'shared' },
    labelCache,
    ready: auto.ready,
    autoIdle: () => auto.idle(),
    runJob(job, progress) {
      if (job.kind === 'learn') return runLearn(job);
      if (job.kind === 'analyze') return runAnalyze(job, progress);
      return Promise.reject(new VocError('BAD_JOB', `the analysis service does not run ${job.kind} jobs`));
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      await auto.stop();
    },
  };
}
