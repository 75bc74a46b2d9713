import type { DaemonContext } from '../context.js';
import type { Service, ServiceJob } from '../lanes/types.js';
import { releaseClaims } from '../store/claims.js';
import { releaseBullets } from '../store/translations.js';
import { runTranslation } from './run.js';
import { runBullets } from './bullets.js';

/**
 * The translation service: `translate` jobs run on every daemon of a cluster at once (review claims keep each
 * review to one of them), `bullets` jobs on the daemon that claimed the row.
 * translate params: { limit?: number }; the scope is job.productId (null: every product). A translate job also
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
      const summary = await runTranslation(ctx, { jobId: job.id, productId: job.productId, limit, progress, signal: stopper.signal });
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
