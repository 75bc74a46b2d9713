import type { DaemonContext } from '../../context.js';
import { batchSystemPrompt, singleSystemPrompt } from '../../llm/prompts/translate.js';
import { PlanWriter, WindowTooLarge } from '../../batch/writer.js';
import type { BatchHandler } from '../../batch/types.js';
import type { BatchApi } from '../../llm/types.js';
import { claimReviews, releaseClaims } from '../../store/claims.js';
import type { ReviewRow } from '../../store/reviews.js';
import { settleReviews } from '../../store/translations.js';
import { normaliseForPrompt, sha256 } from '../../text.js';
import { packAll, packingOptions } from '../packing.js';
import { TextBook } from '../prepare.js';
import { estimateTokens } from '../tokens.js';
import { outcomeOf } from './outcome.js';

/**
 * Planning a translation round: claim what is pending in scope a window at a time, settle at once what costs
 * nothing (skips, cache), pack the rest with the realtime packing (same classes, sizes, prompts; texts of one
 * language side by side, so a line can name its source language) and hand the window to the plan writer, which
 * cuts files at the provider's limits. Only one window is in memory, however large the backlog.
 */
export interface PlanOptions {
  jobId: number | null;
  productId?: string | null;
  limit?: number | null;
  /** reviews planned so far by this job (the limit counts them) */
  planned: number;
  /** a cancel came: stop claiming */
  cancelled?: () => boolean;
}

/**
 * Reviews per window: large enough that packing loses almost nothing at a window's edge (each class's last call
 * may be short), small enough to keep memory flat.
 */
const WINDOW_REVIEWS = 2000;

export interface PlanResult {
  reviews: number;
  settled: number;
  batches: number[];
}

export async function planRound(ctx: DaemonContext, api: BatchApi, handler: BatchHandler, o: PlanOptions): Promise<PlanResult> {
  const cfg = ctx.config;
  const out: PlanResult = { reviews: 0, settled: 0, batches: [] };
  const writer = new PlanWriter(ctx, api, handler, { jobId: o.jobId, kind: 'translate' });
  // a window too big for one file (a small batchMaxRequests) is planned in halves (see planWindow)
  const windowSize = WINDOW_REVIEWS;
  try {
    let window: ReviewRow[] = [];
    for (;;) {
      if (o.cancelled?.()) break;
      const room = o.limit ? o.limit - o.planned - out.reviews - window.length : Infinity;
      if (room <= 0) break;
      const rows = await claimReviews(ctx.store, 'tr', {
        owner: ctx.daemonId,
        leaseMs: cfg.daemon.leaseMs,
        limit: Math.min(cfg.translate.chunkSize, windowSize - window.length, room),
        productId: o.productId,
        jobId: o.jobId,
      });
      if (!rows.length) break;
      window.push(...rows);
      if (window.length >= windowSize) {
        await planWindow(ctx, writer, window, out);
        out.reviews += window.length;
        window = [];
      }
    }
    if (window.length && o.cancelled?.()) {
      // claimed for a window that will not be sent: handed back as they were
      await releaseClaims(
        ctx.store,
        'tr',
        ctx.daemonId,
        window.map((r) => r.id),
      );
    } else if (window.length) {
      await planWindow(ctx, writer, window, out);
      out.reviews += window.length;
    }
  } finally {
    await writer.close();
  }
  out.batches = writer.batches;
  return out;
}

async function planWindow(ctx: DaemonContext, writer: PlanWriter, rows: ReviewRow[], out: PlanResult): Promise<void> {
  const cfg = ctx.config;
  const target = cfg.translate.targetLanguage;
  // a book per window: a window's reviews wait only on their own lines
  const book = new TextBook(ctx.store, cfg);
  const { reviews, items } = await book.prepare(rows);
  const asked = new Set(items.map((i) => i.hash));
  const needsCall = (text: string | null | undefined) => !!text && asked.has(sha256(normaliseForPrompt(text)));
  const free = reviews.filter((r) => !needsCall(r.row.body) && !needsCall(r.row.title));
  if (free.length) {
    out.settled += await settleReviews(ctx.store, ctx.daemonId, await Promise.all(free.map((r) => outcomeOf(r, { answered: false }))), {
      entries: [],
      key: book.cacheKey(),
    });
  }
  const waiting = reviews.filter((r) => needsCall(r.row.body) || needsCall(r.row.title)).map((r) => r.row);
  if (!waiting.length) return;
  const packing = packingOptions(cfg.translate, {
    batch: estimateTokens(batchSystemPrompt(target)),
    single: estimateTokens(singleSystemPrompt(target)),
  });
  // texts of one language side by side, as a realtime run packs them
  const byLanguage = items.slice().sort((a, b) => (a.lang ?? '~').localeCompare(b.lang ?? '~'));
  const lines = packAll(byLanguage, packing).map((b) => ({
    cls: b.cls,
    texts: JSON.stringify(b.items.map((i) => (i.lang ? { hash: i.hash, norm: i.norm, lang: i.lang } : { hash: i.hash, norm: i.norm }))),
  }));
  try {
    await writer.add(
      waiting.map((r) => r.id),
      lines,
    );
  } catch (err) {
    if (!(err instanceof WindowTooLarge) || rows.length < 2) throw err;
    // too big for one file: halves, each its own book and lines
    const mid = Math.ceil(rows.length / 2);
    await planWindow(ctx, writer, rows.slice(0, mid), out);
    await planWindow(ctx, writer, rows.slice(mid), out);
  }
}
