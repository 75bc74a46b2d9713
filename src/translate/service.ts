import type { DaemonContext } from '../context.js';
import type { Service, ServiceJob } from '../lanes/types.js';
import { releaseClaims } from '../store/claims.js';
import { releaseBullets } from '../store/translations.js';
import { runTranslation } from './run.js';
import { runBatchTranslation } from './batch/job.js';
import { countClaimable } from '../store/translations.js';
import { runBullets } from './bullets.js';

/**
 * The translation service: `translate` jobs run on every daemon of a cluster at once (review claims keep each
 * review to one of them), `bullets` jobs on the daemon that claimed the row.
 * translate params: { limit?: number, batch?: boolean }; the scope is job.productId (null: every product). A translate job also
 * translates the pending bullet points of the products in scope.
 */
export function createTranslationService(ctx: DaemonContext): Service {
  const stopper = new AbortController();
  let stopping: Promise<void> | null = null;
  return {
    name: 'translation',
    kinds: { translate: 'shared', bullets: 'exclusive' },
    async runJob(job: ServiceJob, progress) {
      if (job.kind === 'bullets') return runBullets(ctx, { jobId: job.id, productId: job.productId, signal: stopper.signal });
      const raw = Number(job.params?.limit);
      const limit = Number.isFinite(raw) && raw > 0 ? Math.floor(raw) : null;
      const o = { jobId: job.id, productId: job.productId, limit, progress, signal: stopper.signal, cancel: job.signal };
      const summary = (await useBatchApi(ctx, job)) ? await runBatchTranslation(ctx, o) : await runTranslation(ctx, o);
      if (job.signal?.aborted) return summary;
      // product bullet points in scope ride along, so cron's translate-pending (and the beat) covers them too
      const bullets = await runBullets(ctx, { jobId: job.id, productId: job.productId, signal: stopper.signal });
      if (bullets.products === 0) return summary;
      return { ...summary, bullets, calls: summary.calls + bullets.calls, cost: summary.cost + bullets.cost };
    },
    stop() {
      // runs stop claiming and hand back what they had not sent; anything left over is released here
      stopping ??= (async () => {
        stopper.abort();
        await releaseClaims(ctx.store, 'tr', ctx.daemonId).catch(() => {});
        await releaseBullets(ctx.store, ctx.daemonId).catch(() => {});
      })();
      return stopping;
    },
  };
}

/**
 * Whether a translate job goes through the provider's Batch API: asked for (`--batch`, params.batch), or by
 * translate.mode (batch; auto for a backlog of translate.batchMinReviews or more). A job that has batches in the
 * store already stays with them, so a resumed job keeps its mode.
 */
async function useBatchApi(ctx: DaemonContext, job: ServiceJob): Promise<boolean> {
  if (!ctx.gateway.batch) return false;
  if (job.params?.batch === true) return true;
  if (job.params?.batch === false) return false;
  if (await ctx.store.knex('llm_batches').where({ job_id: job.id }).first('id')) return true;
  const mode = ctx.config.translate.mode;
  if (mode !== 'auto') return mode === 'batch';
  return (await countClaimable(ctx.store, job.productId)) >= ctx.config.translate.batchMinReviews;
}
