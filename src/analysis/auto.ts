import type { DaemonContext } from '../context.js';
import { hasOpenJob } from '../store/jobs.js';
import { productsToLearn } from '../store/labels.js';
import { errorMessage } from '../errors.js';

/**
 * Work the analysis lanes start by themselves, both off by default because they cost money and a user who asked
 * only for translations should not pay for them: a product seen for the first time is learned once it has enough
 * reviews (autoLearn), and a product is analysed once its translations settle (autoAfterTranslation; its analyze
 * job learns the product first, on the fast lane). Both submit job rows through the daemon's one submit path
 * (ctx.submitJob), so they show in `voc jobs` and survive a restart. Checks run one at a time so a burst of ingest
 * chunks creates one job per product.
 */
export interface AutoTriggers {
  /** the start-up check for products never learned */
  ready: Promise<void>;
  /** resolves when every check queued so far has run */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

async function createJob(ctx: DaemonContext, kind: 'learn' | 'analyze', productId: string): Promise<void> {
  // learn rows are exclusive and the submit path opens one per request: an open one for the product is enough
  if (await hasOpenJob(ctx.store, kind, productId)) return;
  const job = await ctx.submitJob({ kind, productId, params: {} }, 'auto');
  if (job.attached) return; // an open analyze job over every product covers this one
  ctx.log.info('auto_job', { kind, productId, id: job.id });
  ctx.events.emit('log:line', {
    text: `${kind === 'learn' ? 'new product' : 'translated'} ${productId}: ${kind} job ${job.id} queued automatically`,
  });
}

/** Products whose translations have settled and that still have reviews waiting for insights or themes. */
async function productsReadyForAnalysis(ctx: DaemonContext): Promise<string[]> {
  const k = ctx.store.knex;
  const rows = await k('reviews')
    .groupBy('product_id')
    .havingRaw("sum(case when tr_status in ('pending','in_progress') then 1 else 0 end) = 0")
    .havingRaw("sum(case when ins_status = 'pending' or thm_status = 'pending' then 1 else 0 end) > 0")
    .select('product_id');
  return rows.map((r: { product_id: string }) => r.product_id);
}

export function startAutoTriggers(ctx: DaemonContext): AutoTriggers {
  const a = ctx.config.analysis;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  const serial = (what: string, fn: () => Promise<void>) => {
    chain = chain.then(async () => {
      if (stopped) return;
      try {
        await fn();
      } catch (err) {
        ctx.log.warn('auto_check_failed', { what, error: errorMessage(err) });
      }
    });
    return chain;
  };
  const learnCheck = (ids?: string[]) =>
    serial('learn', async () => {
      for (const id of await productsToLearn(ctx.store, a.learnMinReviews, ids)) await createJob(ctx, 'learn', id);
    });

  const offs: Array<() => void> = [];
  if (a.autoLearn) {
    offs.push(ctx.events.on('reviews:ingested', (e) => void learnCheck(e.productIds.length ? e.productIds : undefined)));
  }
  if (a.autoAfterTranslation) {
    offs.push(
      ctx.events.on('jobs:changed', (e) => {
        if (e.kind !== 'translate' || e.status !== 'done') return;
        void serial('analyze', async () => {
          for (const id of await productsReadyForAnalysis(ctx)) await createJob(ctx, 'analyze', id);
        });
      }),
    );
  }
  const ready = a.autoLearn ? learnCheck() : Promise.resolve();
  return {
    ready,
    idle: () => chain,
    async stop() {
      for (const off of offs) off();
      stopped = true;
      await chain;
    },
  };
}
