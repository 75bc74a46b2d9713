import type { DaemonContext } from '../context.js';
import { W_KEYS } from '../domain.js';
import type { BatchHandler, SettleCounts } from '../batch/types.js';
import { PlanWriter, WindowTooLarge } from '../batch/writer.js';
import { InvalidAnswerError, keysFor, parseKeyedAnswer } from '../llm/keyed.js';
import { insightsRequest, themesRequest } from '../llm/prompts/analysis.js';
import { insightsForReview, themesForReview } from '../llm/tasks.js';
import type { BatchApi, LlmRequest } from '../llm/types.js';
import { batchOwner, heldReviews, type BatchKind, type BatchLineRow, type BatchRow } from '../store/batches.js';
import { claimReviews, releaseClaims } from '../store/claims.js';
import { writeOutcomes, type AnalysisKind, type ReviewOutcome } from '../store/insights.js';
import { hasLetters } from '../text.js';
import { applyWrite, LANE_OF, type AnalyseEnv } from './analyze.js';
import { analyseBatch, checkInsights, mapThemes, planBatches, promptText, type ClaimedReview } from './extract.js';
import { labelNames } from './label-cache.js';

/**
 * Insights and themes through the provider's Batch API (`voc analyze --batch`): the realtime batches (one product,
 * one class, the configured sizes), prompts and keyed answers, checked the same way (quotes from the review,
 * labels mapped), as lines of batch files. A line that failed or came back not as asked is redone in realtime
 * through the gateway, halves first. Learning is not here: it stays realtime, on the fast lane.
 */
export const BATCH_KIND: Record<AnalysisKind, BatchKind> = { ins: 'insights', thm: 'themes' };

/** Reviews per planning window (a review is in one line of its kind: a window never passes the request limit). */
const WINDOW_REVIEWS = 2000;
const SQL_IDS = 500;

const idsOf = (line: Pick<BatchLineRow, 'texts'>) => (JSON.parse(line.texts) as Array<{ id: number }>).map((x) => x.id);

async function reviewsOf(ctx: DaemonContext, ids: number[]): Promise<Map<number, ClaimedReview>> {
  const out = new Map<number, ClaimedReview>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += SQL_IDS) {
    const rows = (await ctx.store.knex('reviews').whereIn('id', unique.slice(i, i + SQL_IDS))) as ClaimedReview[];
    for (const r of rows) out.set(Number(r.id), r);
  }
  return out;
}

const attemptsOf = (kind: AnalysisKind, r: ClaimedReview) => Number((kind === 'ins' ? r.ins_attempts : r.thm_attempts) ?? 0);

export function analysisHandler(env: AnalyseEnv, kind: AnalysisKind): BatchHandler<ReviewOutcome[]> {
  const { ctx } = env;
  const a = ctx.config.analysis;
  /** reviews each batch stored with a result (for its log line) */
  const stored = new Map<number, number>();
  const write = async (row: BatchRow, outcomes: ReviewOutcome[]) => {
    if (!outcomes.length) return;
    const res = await writeOutcomes(ctx.store, kind, batchOwner(row.id), outcomes);
    stored.set(row.id, (stored.get(row.id) ?? 0) + res.done);
    applyWrite(env, kind, res);
  };

  const requestOf = async (reviews: ClaimedReview[]): Promise<LlmRequest> => {
    const productId = reviews[0].product_id;
    const map = await env.cache.get(productId);
    const keys = keysFor(reviews.length);
    const payload = Object.fromEntries(reviews.map((r, i) => [keys[i], promptText(r)]));
    if (kind === 'ins')
      return insightsRequest({ dimensions: labelNames(map, 'dimension'), max: a.maxInsights, reviews: payload }, { productId });
    const labels = Object.fromEntries(W_KEYS.map((w) => [w, labelNames(map, w)])) as Record<(typeof W_KEYS)[number], string[]>;
    return themesRequest({ labels, reviews: payload }, { productId });
  };

  return {
    kind: BATCH_KIND[kind],
    lane: LANE_OF[kind],
    async requests(lines) {
      const rows = await reviewsOf(ctx, lines.flatMap(idsOf));
      return Promise.all(lines.map((l) => requestOf(idsOf(l).map((id) => rows.get(id)!))));
    },
    async check(_row, answers) {
      const rows = await reviewsOf(
        ctx,
        answers.flatMap((x) => idsOf(x.line)),
      );
      return Promise.all(
        answers.map(async ({ line, content }) => {
          const reviews = idsOf(line).map((id) => rows.get(id)!);
          const productId = reviews[0].product_id;
          const keys = keysFor(reviews.length);
          try {
            const map = await env.cache.get(productId);
            const base = (r: ClaimedReview) => ({
              reviewId: r.id,
              productId: r.product_id,
              attempts: attemptsOf(kind, r) + 1,
              ok: true as const,
            });
            let outcomes: ReviewOutcome[];
            if (kind === 'ins') {
              const values = parseKeyedAnswer(content, keys, insightsForReview);
              outcomes = reviews.map((r, i) => {
                const { kept, dropped } = checkInsights(r, values[i], map, a.maxInsights);
                if (dropped) {
                  env.tally.droppedQuotes += dropped;
                  ctx.counters.analysis.droppedQuotes += dropped;
                }
                return { ...base(r), insights: kept };
              });
            } else {
              const values = parseKeyedAnswer(content, keys, themesForReview);
              outcomes = reviews.map((r, i) => ({ ...base(r), themes: mapThemes(values[i], map) }));
            }
            return { ok: true as const, value: outcomes, productId };
          } catch (err) {
            if (!(err instanceof InvalidAnswerError)) throw err;
            return { ok: false as const, error: err.message };
          }
        }),
      );
    },
    store: (row, values) =>
      write(
        row,
        values.flatMap((v) => v.value),
      ),
    redoMode: () => 'realtime',
    async redo(row, lines) {
      // only reviews the batch still holds: a redo that ran before a crash wrote the others
      const held = new Set<number>();
      const all = lines.flatMap(idsOf);
      const rows = await reviewsOf(ctx, all);
      for (const r of rows.values()) {
        const claim = r as unknown as Record<string, unknown>;
        if (claim[`${kind}_owner`] === batchOwner(row.id) && claim[`${kind}_status`] === 'in_progress') held.add(r.id);
      }
      const parts: ClaimedReview[][] = [];
      for (const l of lines) {
        const reviews = idsOf(l)
          .filter((id) => held.has(id))
          .map((id) => rows.get(id)!);
        if (!reviews.length) continue;
        const mid = Math.ceil(reviews.length / 2);
        parts.push(...(reviews.length > 1 ? [reviews.slice(0, mid), reviews.slice(mid)] : [reviews]));
      }
      await Promise.all(
        parts.map(async (part) => {
          const outcomes = await ctx.lanes
            .submit({
              lane: LANE_OF[kind],
              label: `${kind === 'ins' ? 'insights' : 'themes'} redo of batch ${row.id} x${part.length}`,
              productId: part[0].product_id,
              jobId: row.job_id,
              run: ({ signal }) => analyseBatch(env, kind, part, signal),
            })
            .catch(() => null);
          // a lane that refused (the daemon is stopping): left held, the restart redoes it
          if (outcomes) await write(row, outcomes);
        }),
      );
    },
    async settle(row, o): Promise<SettleCounts> {
      const counts: SettleCounts = { done: stored.get(row.id) ?? 0, failed: 0, released: 0 };
      let after = 0;
      for (;;) {
        const ids = await heldReviews(ctx.store, row, { afterId: after, limit: SQL_IDS });
        if (!ids.length) break;
        after = ids[ids.length - 1];
        if (o.release) {
          counts.released += await releaseClaims(ctx.store, kind, batchOwner(row.id), ids);
          continue;
        }
        // no valid answer, in the batch or redone: an attempt used, as a failed realtime call would
        const rows = await reviewsOf(ctx, ids);
        const error = `batch ${row.id}: ${row.error ?? `no valid answer (batch ${row.provider_status ?? 'ended'})`}`;
        const outcomes: ReviewOutcome[] = [...rows.values()].map((r) => {
          const attempts = attemptsOf(kind, r) + 1;
          return { reviewId: r.id, productId: r.product_id, attempts, ok: false, error, final: attempts >= a.maxAttempts };
        });
        const res = await writeOutcomes(ctx.store, kind, batchOwner(row.id), outcomes);
        applyWrite(env, kind, res);
        counts.failed += res.failed + res.retried;
      }
      stored.delete(row.id);
      return counts;
    },
  };
}

/**
 * One round: for each kind and each product in scope, claim its pending reviews a window at a time; reviews with
 * nothing to analyse (no letters) are done without a call, as in realtime; the rest become lines of the kind's
 * batch files. Returns the batches written.
 */
export async function planAnalysisRound(
  env: AnalyseEnv,
  api: BatchApi,
  handlers: Record<AnalysisKind, BatchHandler>,
  o: { products: string[]; cancelled: () => boolean },
): Promise<number> {
  const { ctx } = env;
  let batches = 0;
  for (const kind of ['ins', 'thm'] as const) {
    const writer = new PlanWriter(ctx, api, handlers[kind], { jobId: env.jobId, kind: BATCH_KIND[kind] });
    try {
      for (const productId of o.products) {
        let after = 0; // forward along (product_id, id), as the realtime claims go
        for (;;) {
          if (o.cancelled() || ctx.signal.aborted) break;
          const rows = (await claimReviews(ctx.store, kind, {
            owner: ctx.daemonId,
            leaseMs: ctx.config.daemon.leaseMs,
            limit: Math.min(WINDOW_REVIEWS, ctx.config.translate.batchMaxRequests),
            productId,
            jobId: env.jobId,
            afterId: after,
          })) as ClaimedReview[];
          if (!rows.length) break;
          after = rows[rows.length - 1].id;
          await planWindow(env, kind, writer, rows);
        }
      }
    } finally {
      await writer.close();
    }
    batches += writer.batches.length;
  }
  return batches;
}

async function planWindow(env: AnalyseEnv, kind: AnalysisKind, writer: PlanWriter, rows: ClaimedReview[]): Promise<void> {
  const { ctx } = env;
  // text without a letter (emoji, "!!!") says nothing to analyse: done without a call
  const silent = rows.filter((r) => !hasLetters(promptText(r)));
  if (silent.length) {
    const outcomes: ReviewOutcome[] = silent.map((r) => ({
      reviewId: r.id,
      productId: r.product_id,
      attempts: attemptsOf(kind, r) + 1,
      ok: true,
      ...(kind === 'ins' ? { insights: [] } : { themes: [] }),
    }));
    applyWrite(env, kind, await writeOutcomes(ctx.store, kind, ctx.daemonId, outcomes));
  }
  const asked = rows.filter((r) => hasLetters(promptText(r)));
  if (!asked.length) return;
  const lines = planBatches(asked, ctx.config.analysis.batchSize).map((b) => ({
    cls: b[0].class,
    texts: JSON.stringify(b.map((r) => ({ id: r.id }))),
  }));
  try {
    await writer.add(
      asked.map((r) => r.id),
      lines,
    );
  } catch (err) {
    if (!(err instanceof WindowTooLarge) || asked.length < 2) throw err;
    const mid = Math.ceil(asked.length / 2);
    await planWindow(env, kind, writer, asked.slice(0, mid));
    await planWindow(env, kind, writer, asked.slice(mid));
  }
}
