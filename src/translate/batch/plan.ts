import { randomUUID } from 'node:crypto';
import type { DaemonContext } from '../../context.js';
import { batchSystemPrompt, singleSystemPrompt } from '../../llm/prompts/translate.js';
import type { BatchApi } from '../../llm/types.js';
import { claimReviews } from '../../store/claims.js';
import { insertBatch } from '../../store/batches.js';
import type { ReviewRow } from '../../store/reviews.js';
import { settleReviews } from '../../store/translations.js';
import { normaliseForPrompt, sha256 } from '../../text.js';
import { translationRequest } from '../call.js';
import { packAll, packingOptions } from '../packing.js';
import { TextBook } from '../prepare.js';
import { estimateTokens } from '../tokens.js';
import { outcomeOf } from './outcome.js';

/**
 * Planning a batch round: claim what is pending in scope, settle at once what costs nothing (skips, cache), pack
 * the rest with the realtime packing (same classes, sizes, prompts) and write one batch row per file, cut at the
 * provider's limits. The reviews' claims move to their batch in the same transaction as its row.
 */
export interface PlanOptions {
  jobId: number | null;
  productId?: string | null;
  limit?: number | null;
  /** reviews planned so far by this job (the limit counts them) */
  planned: number;
}

/** How long a batch holds its reviews without a renewal: the 24 h window and an hour to collect. */
export const BATCH_HOLD_MS = 25 * 3600_000;

export interface PlanResult {
  reviews: number;
  settled: number;
  batches: number[];
}

export async function planRound(ctx: DaemonContext, api: BatchApi, o: PlanOptions): Promise<PlanResult> {
  const cfg = ctx.config;
  const owner = ctx.daemonId;
  const out: PlanResult = { reviews: 0, settled: 0, batches: [] };
  // a review brings at most two lines (body and title): a group of this many never passes the request limit
  const groupSize = Math.max(1, Math.floor(cfg.translate.batchMaxRequests / 2));
  let group: ReviewRow[] = [];
  for (;;) {
    const room = o.limit ? o.limit - o.planned - out.reviews - group.length : Infinity;
    if (room <= 0) break;
    const rows = await claimReviews(ctx.store, 'tr', {
      owner,
      leaseMs: cfg.daemon.leaseMs,
      limit: Math.min(cfg.translate.chunkSize, groupSize - group.length, room),
      productId: o.productId,
      jobId: o.jobId,
    });
    if (!rows.length) break;
    group.push(...rows);
    if (group.length >= groupSize) {
      await planGroup(ctx, api, o, group, out);
      out.reviews += group.length;
      group = [];
    }
  }
  if (group.length) {
    await planGroup(ctx, api, o, group, out);
    out.reviews += group.length;
  }
  return out;
}

async function planGroup(ctx: DaemonContext, api: BatchApi, o: PlanOptions, rows: ReviewRow[], out: PlanResult): Promise<void> {
  const cfg = ctx.config;
  const target = cfg.translate.targetLanguage;
  // a book per group: a group's reviews wait only on their own file
  const book = new TextBook(ctx.store, cfg);
  const { reviews, items } = await book.prepare(rows);
  const asked = new Set(items.map((i) => i.hash));
  const needsCall = (text: string | null | undefined) => !!text && asked.has(sha256(normaliseForPrompt(text)));
  const free = reviews.filter((r) => !needsCall(r.row.body) && !needsCall(r.row.title));
  if (free.length) {
    out.settled += await settleReviews(ctx.store, ctx.daemonId, await Promise.all(free.map(outcomeOf)), {
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
  const lines = packAll(items, packing).map((b, k) => {
    const customId = `l${k + 1}`;
    const texts = b.items.map((i) => ({ hash: i.hash, norm: i.norm }));
    const jsonl = api.line(
      customId,
      translationRequest(
        texts.map((t) => t.norm),
        target,
        b.cls === 'vip',
        { lane: 'translation' },
      ),
    );
    return { customId, cls: b.cls, texts: JSON.stringify(texts), bytes: Buffer.byteLength(jsonl) + 1 };
  });
  const bytes = lines.reduce((n, l) => n + l.bytes, 0);
  if (bytes > cfg.translate.batchMaxBytes && rows.length > 1) {
    // too big for one file: halves, each its own file (and its own book)
    const mid = Math.ceil(rows.length / 2);
    await planGroup(ctx, api, o, rows.slice(0, mid), out);
    await planGroup(ctx, api, o, rows.slice(mid), out);
    return;
  }
  const id = await insertBatch(ctx.store, {
    jobId: o.jobId,
    kind: 'translate',
    nonce: randomUUID().slice(0, 8),
    owner: ctx.daemonId,
    leaseMs: cfg.daemon.leaseMs,
    holdMs: BATCH_HOLD_MS,
    bytes,
    reviewIds: waiting.map((r) => r.id),
    lines: lines.map(({ customId, cls, texts }) => ({ customId, cls, texts })),
  });
  out.batches.push(id);
  ctx.log.info('batch_planned', { jobId: o.jobId, batch: id, reviews: waiting.length, requests: lines.length, bytes });
  ctx.events.emit('log:line', {
    text: `batch ${id}: ${waiting.length} reviews in ${lines.length} requests (${Math.round(bytes / 1024)} KB) for the Batch API`,
  });
}
