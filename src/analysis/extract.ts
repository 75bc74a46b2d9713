import type { DaemonContext } from '../context.js';
import { parseKeyedAnswer, splitAndRetry, keysFor, type ItemOutcome } from '../llm/keyed.js';
import { W_KEYS, type InsightItem, type ReviewClass } from '../domain.js';
import { insightsForReview, themesForReview, type ThemesForReview } from '../llm/tasks.js';
import { insightsRequest, REVIEW_PROMPT_CHARS, themesRequest } from '../llm/prompts/analysis.js';
import type { ReviewRow } from '../store/reviews.js';
import type { AnalysisKind, ReviewOutcome, ThemeTag } from '../store/insights.js';
import { hasLetters, normaliseForPrompt } from '../text.js';
import { labelNames, type LabelCache, type LabelMap } from './label-cache.js';
import { matchLabel, quoteHaystack, quoteIsGenuine } from './match.js';
import { addCall, type Tally } from './tally.js';

/**
 * One analysis batch: several reviews of one product in one keyed call ({"r1": text, ...}); an invalid answer is
 * split and retried down to single reviews (splitAndRetry), so a result never lands on the wrong review. The
 * answer is checked here: quotes must come from the review, dimensions and tags are mapped to the learned labels.
 */
export type ClaimedReview = ReviewRow & { ins_attempts?: number; thm_attempts?: number };

export interface BatchEnv {
  ctx: DaemonContext;
  cache: LabelCache;
  tally: Tally;
  jobId: number | null;
}

export function promptText(r: ReviewRow): string {
  return normaliseForPrompt(r.body).slice(0, REVIEW_PROMPT_CHARS);
}

/** Split claimed reviews into call-sized batches: one product and one class per batch, sizes from config. */
export function planBatches(reviews: ClaimedReview[], sizes: Record<ReviewClass, number>): ClaimedReview[][] {
  const groups = new Map<string, ClaimedReview[]>();
  for (const r of reviews) {
    const k = `${r.product_id}\u0000${r.class}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const out: ClaimedReview[][] = [];
  for (const g of groups.values()) {
    const size = Math.max(1, sizes[g[0].class] ?? 1);
    for (let i = 0; i < g.length; i += size) out.push(g.slice(i, i + size));
  }
  return out;
}

/** Insights of one review after the checks: made-up quotes dropped (counted), unknown dimensions become "other". */
export function checkInsights(
  review: ReviewRow,
  items: InsightItem[],
  map: LabelMap,
  max: number,
): { kept: InsightItem[]; dropped: number } {
  const haystack = quoteHaystack(review.body, review.title);
  const dimNames = new Map<number, string>();
  for (const name of labelNames(map, 'dimension')) dimNames.set(map.dimension[name], name);
  const kept: InsightItem[] = [];
  let dropped = 0;
  for (const it of items) {
    if (!quoteIsGenuine(haystack, it.quote)) {
      dropped++;
      continue;
    }
    if (kept.length >= max) continue;
    const id = matchLabel(map, 'dimension', it.dimension);
    kept.push({ ...it, dimension: id != null ? (dimNames.get(id) ?? it.dimension) : 'other' });
  }
  return { kept, dropped };
}

/** Tags of one review mapped to label ids; a tag that matches none stays, unmapped (label id null). */
export function mapThemes(answer: ThemesForReview, map: LabelMap): ThemeTag[] {
  const out: ThemeTag[] = [];
  for (const w of W_KEYS) {
    const seen = new Set<string>();
    for (const raw of answer[w] ?? []) {
      const tag = raw.trim();
      if (!tag || seen.has(tag.toLowerCase())) continue;
      seen.add(tag.toLowerCase());
      out.push({ w, tag, labelId: matchLabel(map, w, tag) });
    }
  }
  return out;
}

function outcomeOf(
  kind: AnalysisKind,
  r: ClaimedReview,
  maxAttempts: number,
  res: ItemOutcome<Partial<ReviewOutcome & { ok: true }>>,
): ReviewOutcome {
  const attempts = Number((kind === 'ins' ? r.ins_attempts : r.thm_attempts) ?? 0) + 1;
  const base = { reviewId: r.id, productId: r.product_id, attempts };
  if (res.ok) return { ...base, ok: true, ...res.value } as ReviewOutcome;
  return { ...base, ok: false, error: res.error, final: attempts >= maxAttempts };
}

/** Run one batch (inside a lane task) and return an outcome for every review of it, in order. */
export async function analyseBatch(
  env: BatchEnv,
  kind: AnalysisKind,
  batch: ClaimedReview[],
  signal: AbortSignal,
): Promise<ReviewOutcome[]> {
  const { ctx, tally } = env;
  const a = ctx.config.analysis;
  const productId = batch[0].product_id;
  const map = await env.cache.get(productId);
  const meta = { productId, jobId: env.jobId, signal };
  // text without a letter (emoji, "!!!") says nothing to analyse: done without a call
  const silent = batch.filter((r) => !hasLetters(promptText(r)));
  const asked = batch.filter((r) => hasLetters(promptText(r)));
  const results = new Map<number, ItemOutcome<Partial<ReviewOutcome & { ok: true }>>>();
  for (const r of silent) results.set(r.id, { ok: true, value: kind === 'ins' ? { insights: [] } : { themes: [] } });

  if (kind === 'ins') {
    const dimensions = labelNames(map, 'dimension');
    const outs = await splitAndRetry(asked, async (items) => {
      const keys = keysFor(items.length);
      const reviews = Object.fromEntries(items.map((r, i) => [keys[i], promptText(r)]));
      const res = await ctx.gateway.complete(insightsRequest({ dimensions, max: a.maxInsights, reviews }, meta));
      addCall(tally, res);
      return parseKeyedAnswer(res.content, keys, insightsForReview);
    });
    asked.forEach((r, i) => {
      const o = outs[i];
      if (!o.ok) return results.set(r.id, o);
      const { kept, dropped } = checkInsights(r, o.value, map, a.maxInsights);
      if (dropped) {
        tally.droppedQuotes += dropped;
        ctx.counters.analysis.droppedQuotes += dropped;
      }
      results.set(r.id, { ok: true, value: { insights: kept } });
    });
  } else {
    const labels = Object.fromEntries(W_KEYS.map((w) => [w, labelNames(map, w)])) as Record<(typeof W_KEYS)[number], string[]>;
    const outs = await splitAndRetry(asked, async (items) => {
      const keys = keysFor(items.length);
      const reviews = Object.fromEntries(items.map((r, i) => [keys[i], promptText(r)]));
      const res = await ctx.gateway.complete(themesRequest({ labels, reviews }, meta));
      addCall(tally, res);
      return parseKeyedAnswer(res.content, keys, themesForReview);
    });
    asked.forEach((r, i) => {
      const o = outs[i];
      results.set(r.id, o.ok ? { ok: true, value: { themes: mapThemes(o.value, map) } } : o);
    });
  }
  return batch.map((r) => outcomeOf(kind, r, a.maxAttempts, results.get(r.id)!));
}
