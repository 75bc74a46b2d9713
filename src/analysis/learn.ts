import type { DaemonContext } from '../context.js';
import { sleep } from '../abort.js';
import { StoppingError, VocError, errorMessage } from '../errors.js';
import { InvalidAnswerError, parseJsonObject } from '../llm/keyed.js';
import { learnAnswer, type LearnAnswer } from '../domain.js';
import { learnRequest } from '../llm/prompts/analysis.js';
import {
  claimLearn,
  failLearn,
  learnState,
  noSuchProduct,
  releaseLearn,
  renewLearn,
  replaceLabels,
  sampleForLearning,
} from '../store/labels.js';
import type { LabelCache } from './label-cache.js';
import { addCall, newTally, type Tally } from './tally.js';

/**
 * Learning, the fast lane: a product's dimensions and 5W labels from a sample of its reviews. It runs as one job
 * on the learning lane (vip pool first, overflow into insight/theme), and its calls use the learning lane at the
 * gateway, which gives them the next free permit.
 */
export interface LearnResult {
  productId: string;
  /** learned: by this call; already: done before (no force); elsewhere: another daemon learned it meanwhile */
  outcome: 'learned' | 'already' | 'elsewhere' | 'failed';
  dimensions: number;
  labels: number;
  attempts: number;
  error: string | null;
  tally: Tally;
}

const POLL_MS = 200;

/** Ask until the answer validates, up to maxAttempts; gateway failures (it already retried) end at once. */
async function askModel(
  ctx: DaemonContext,
  productId: string,
  jobId: number | null,
  signal: AbortSignal,
  tally: Tally,
): Promise<{ answer: LearnAnswer; attempts: number }> {
  const sample = await sampleForLearning(ctx.store, productId, ctx.config.analysis.learnSampleSize);
  if (!sample.length) throw new VocError('NO_REVIEWS', `product ${productId} has no reviews to learn from`);
  const product = await ctx.store.knex('products').where({ id: productId }).first('title');
  const payload = { product: productId, title: product?.title ?? null, reviews: sample.map((s) => ({ rating: s.rating, text: s.text })) };
  let last = 'no answer';
  const max = ctx.config.analysis.maxAttempts;
  for (let attempt = 1; attempt <= max; attempt++) {
    const res = await ctx.gateway.complete(learnRequest(payload, { productId, jobId, signal }));
    addCall(tally, res);
    try {
      const parsed = learnAnswer.safeParse(parseJsonObject(res.content));
      if (parsed.success) return { answer: parsed.data, attempts: attempt };
      const issue = parsed.error.issues[0];
      last = `invalid learning answer: ${issue?.path.join('.') || 'answer'} ${issue?.message ?? ''}`.trim();
    } catch (err) {
      if (!(err instanceof InvalidAnswerError)) throw err;
      last = `invalid learning answer: ${err.message}`;
    }
    ctx.log.warn('learn_invalid_answer', { productId, attempt, reason: last });
  }
  throw new InvalidAnswerError(`${last} (after ${max} attempts)`);
}

export async function learnProduct(
  ctx: DaemonContext,
  cache: LabelCache,
  productId: string,
  o: { force?: boolean; jobId?: number | null } = {},
): Promise<LearnResult> {
  const tally = newTally();
  const result = (outcome: LearnResult['outcome'], extra: Partial<LearnResult> = {}): LearnResult => ({
    productId,
    outcome,
    dimensions: 0,
    labels: 0,
    attempts: 0,
    error: null,
    tally,
    ...extra,
  });
  const state = await learnState(ctx.store, productId);
  if (!state) throw noSuchProduct(productId);
  if (state.status === 'done' && !o.force) return result('already');

  const leaseMs = ctx.config.daemon.leaseMs;
  let token = await claimLearn(ctx.store, productId, { force: o.force, leaseMs });
  if (token == null) {
    // another daemon (or job) is learning it: wait for that model instead of asking twice
    for (;;) {
      const s = await learnState(ctx.store, productId);
      if (!s || s.status !== 'in_progress') {
        if (s?.status === 'done') return result('elsewhere');
        token = await claimLearn(ctx.store, productId, { force: false, leaseMs });
        if (token != null) break;
        if (s?.status === 'failed') return result('failed', { error: s.error });
      }
      if (ctx.signal.aborted) throw new StoppingError();
      await sleep(POLL_MS, ctx.signal);
    }
  }

  let held: number = token;
  const letGo = ctx.leases.keep(async () => {
    const t = await renewLearn(ctx.store, productId, held, leaseMs);
    if (t != null) held = t;
  });
  try {
    const { answer, attempts } = await ctx.lanes.submit({
      lane: 'learning',
      label: `learn ${productId}${o.jobId != null ? ` (job ${o.jobId})` : ''}`,
      productId,
      jobId: o.jobId ?? null,
      run: ({ signal }) => askModel(ctx, productId, o.jobId ?? null, signal, tally),
    });
    letGo();
    const stored = await replaceLabels(ctx.store, productId, held, answer);
    if (!stored) return result('elsewhere', { attempts, error: 'the learning claim was taken over' });
    await cache.invalidate(productId);
    ctx.counters.analysis.learned++;
    const labels = Object.values(answer.labels).reduce((n, l) => n + l.length, 0);
    ctx.events.emit('log:line', { text: `learned ${productId}: ${answer.dimensions.length} dimensions, ${labels} 5W labels` });
    ctx.log.info('learned', { productId, dimensions: answer.dimensions.length, labels, attempts, calls: tally.calls });
    return result('learned', { dimensions: answer.dimensions.length, labels, attempts });
  } catch (err) {
    const message = errorMessage(err);
    if (ctx.signal.aborted) {
      // cut short by shutdown: not a failure of the product, whoever runs the job next learns it
      await releaseLearn(ctx.store, productId, held).catch(() => {});
      throw err;
    }
    await failLearn(ctx.store, productId, held, message).catch(() => {});
    ctx.log.warn('learn_failed', { productId, error: message });
    ctx.events.emit('log:line', { text: `learning ${productId} failed: ${message}` });
    // a stop is not the product's failure (it is rethrown, as a plain error would be)
    if (err instanceof InvalidAnswerError || (err instanceof VocError && !(err instanceof StoppingError)))
      return result('failed', { error: message, attempts: tally.calls });
    throw err;
  } finally {
    letGo();
  }
}
