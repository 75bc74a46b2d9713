import type { DaemonContext } from '../context.js';
import { sleep } from '../abort.js';
import { claimReviews, releaseClaims } from '../store/claims.js';
import { countClaimable, requeueFailed, settleReviews, type ReviewOutcome } from '../store/translations.js';
import { batchSystemPrompt, singleSystemPrompt } from '../llm/prompts/translate.js';
import { Packer, packingOptions, type Batch } from './packing.js';
import { TextBook, TRANSLATE_COLUMNS, type PendingText, type PreparedReview, type TextResult } from './prepare.js';
import { estimateTokens } from './tokens.js';
import { commonLanguage, newTally, translateTexts } from './call.js';
import { RunStats, type TranslateSummary } from './run-stats.js';
import { BATCH_OWNER_PREFIX } from '../store/batches.js';
import { errorMessage } from '../errors.js';

export type { TranslateSummary } from './run-stats.js';

export interface TranslateRunOptions {
  jobId: number | null;
  productId?: string | null;
  limit?: number | null;
  progress?: (snapshot: Record<string, unknown>) => void;
  /** stops claiming when aborted (the service's stop(), besides the daemon's own signal) */
  signal?: AbortSignal;
  /** aborted when the job is cancelled (`voc jobs cancel`): stop claiming, let what is in flight finish */
  cancel?: AbortSignal;
}

const ABORTED = 'run stopped before this text was sent';
/** tries of one coalesced write (about 30 s in all) before its results are left to lease expiry */
const WRITE_ATTEMPTS = 6;
/** results written per transaction, at most; and the longest a finished result waits for its write */
const FLUSH_ROWS = 500;
const FLUSH_MS = 150;
/** reviews claimed and not yet written back, at most (more when one chunk is larger) */
const MAX_HELD = 5000;
/**
 * Fresh cache entries ride along with a write once this many have gathered, or this long after the first: the cache
 * is keyed by a hash, so each entry lands on a random page of its index, and a hundred entries per transaction
 * dirtied a hundred pages to log and checkpoint. Gathered, many share a page. A crash loses at most these entries
 * (a later copy of the same text is translated again), never a review's translation: those are written as above.
 */
const CACHE_FLUSH_ROWS = 2000;
const CACHE_FLUSH_MS = 5000;

/**
 * One translation run: claim a chunk, resolve what costs nothing (skips, duplicates, cache), pack the rest into
 * batches on the translation lane, and claim the next chunk while they run, keeping about twice the trans pool's
 * cap in flight so the pool never idles. Results are written per batch, only where this daemon still holds the
 * claim. Stops when nothing claimable is left in scope or the limit is reached.
 */
export async function runTranslation(ctx: DaemonContext, o: TranslateRunOptions): Promise<TranslateSummary> {
  const cfg = ctx.config;
  const tcfg = cfg.translate;
  const owner = ctx.daemonId;
  const stopped = () => ctx.signal.aborted || !!o.signal?.aborted || !!o.cancel?.aborted;
  await requeueFailed(ctx.store, { maxAttempts: tcfg.maxAttempts, productId: o.productId });
  const claimable = await countClaimable(ctx.store, o.productId);
  const stats = new RunStats(ctx, o.jobId, o.limit ? Math.min(o.limit, claimable) : claimable);
  const book = new TextBook(ctx.store, cfg);
  const target = tcfg.targetLanguage;
  const packer = new Packer<PendingText>(
    packingOptions(tcfg, { batch: estimateTokens(batchSystemPrompt(target)), single: estimateTokens(singleSystemPrompt(target)) }),
  );
  const transPool = cfg.lanes.translation?.pools[0] ?? 'trans';
  const maxInFlight = Math.max(2, 2 * (cfg.pools[transPool]?.cap ?? 1));
  const maxHeld = Math.max(2 * tcfg.chunkSize, MAX_HELD);
  const tally = newTally();

  const held = new Set<number>();
  /** claims whose results could not be written */
  const unwritten = new Set<number>();
  const settling = new Set<Promise<void>>();
  let inFlight = 0;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };

  // results are written in batches: one transaction per FLUSH_ROWS results or FLUSH_MS, whichever comes first. A
  // kill -9 costs at most the results of that window (their claims expire and are translated again), never a
  // wrong row: a write lands only where this daemon still holds the claim.
  let outBuf: ReviewOutcome[] = [];
  let cacheBuf: Array<{ hash: string; translation: string }> = [];
  let releaseBuf: number[] = [];
  let writing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let cacheSince = 0;
  /** `all`: the cache entries go too, however few (the run's end, a hand-back) */
  const flush = (all = false) => {
    if (timer) clearTimeout(timer);
    timer = null;
    const cacheDue = all || cacheBuf.length >= CACHE_FLUSH_ROWS || (cacheBuf.length > 0 && Date.now() - cacheSince >= CACHE_FLUSH_MS);
    const outs = outBuf,
      cache = cacheDue ? cacheBuf : [],
      rel = releaseBuf;
    if (!outs.length && !cache.length && !rel.length) return;
    outBuf = [];
    if (cacheDue) cacheBuf = [];
    releaseBuf = [];
    writing = writing.then(async () => {
      // finished translations are paid for: a short store outage is waited out (in order, inside the chain the
      // run's end awaits) rather than the results dropped; the transaction makes a retry write each row once
      for (let attempt = 1; ; attempt++) {
        try {
          await settleReviews(ctx.store, owner, outs, { entries: cache, key: book.cacheKey() });
          if (rel.length) await releaseClaims(ctx.store, 'tr', owner, rel);
          for (const x of outs) held.delete(x.id);
          for (const id of rel) held.delete(id);
          o.progress?.(stats.snapshot(tally));
          break;
        } catch (err) {
          if (attempt >= WRITE_ATTEMPTS) {
            // the claims stay held and are handed back when the run runs dry (or expire): another run takes them
            // over. They leave the window, so failing writes cannot stall the claiming loop.
            for (const x of outs) unwritten.add(x.id);
            for (const id of rel) unwritten.add(id);
            for (const id of unwritten) held.delete(id);
            ctx.log.error('translate_write_failed', { jobId: o.jobId, attempts: attempt, error: errorMessage(err) });
            break;
          }
          ctx.log.warn('translate_write_retry', { jobId: o.jobId, attempt, error: errorMessage(err) });
          await sleep(Math.min(8000, 500 * 2 ** attempt));
        }
      }
      notify();
    });
  };
  const scheduleWrite = () => {
    if (outBuf.length + releaseBuf.length >= FLUSH_ROWS) flush();
    else timer ??= setTimeout(flush, FLUSH_MS);
  };

  const follow = (r: PreparedReview) => {
    held.add(r.row.id);
    const done = Promise.all([r.body, r.title ?? Promise.resolve(null)]).then(([body, title]) => {
      const texts = [body, title].filter((t): t is TextResult => t !== null);
      const bad = texts.find((t) => !t.ok);
      if (bad && !bad.ok && bad.error === ABORTED) {
        releaseBuf.push(r.row.id);
        stats.review(r.cls, 'released', false);
      } else if (bad && !bad.ok) {
        outBuf.push({ id: r.row.id, status: 'failed', error: bad.error, attempts: r.row.tr_attempts });
        stats.review(r.cls, 'failed', false, false, bad.error);
      } else {
        const value = (t: TextResult | null) => (t && t.ok ? t.value : null);
        const all = texts as Array<Extract<TextResult, { ok: true }>>;
        const status = all.every((t) => t.source === 'skip') ? 'skipped' : 'done';
        const via = (x: (typeof all)[number]['source']) => all.some((t) => t.source === x);
        const source = status === 'skipped' ? null : via('call') ? 'llm' : via('cache') ? 'cache' : 'opencc';
        const cached = source === 'cache';
        outBuf.push({ id: r.row.id, status, bodyZh: value(body), titleZh: value(title), cached, source, attempts: r.row.tr_attempts });
        stats.review(r.cls, status, cached, source === 'opencc');
      }
      scheduleWrite();
    });
    settling.add(done);
    void done.finally(() => settling.delete(done));
  };

  const submit = (batch: Batch<PendingText>) => {
    inFlight++;
    stats.batch(batch.cls);
    const texts = batch.items.map((i) => i.norm);
    // named in the prompt only when every text of the batch is surely in that language
    const sourceLanguage = commonLanguage(batch.items);
    const label = `translate ${batch.cls} batch x${texts.length}${o.jobId != null ? ` (job ${o.jobId})` : ''}`;
    ctx.lanes
      .submit({
        lane: 'translation',
        label,
        jobId: o.jobId,
        productId: o.productId ?? null,
        run: ({ signal }) =>
          // cancelled while it waited for the lane: it was never sent, its texts are handed back
          o.cancel?.aborted
            ? Promise.resolve(texts.map(() => ({ ok: false as const, error: ABORTED })))
            : translateTexts(texts, {
                gateway: ctx.gateway,
                targetLanguage: target,
                productId: o.productId,
                jobId: o.jobId,
                signal,
                tally,
                single: batch.cls === 'vip',
                sourceLanguage,
              }),
      })
      .then(
        (outcomes) =>
          outcomes.map((x) => (x.ok ? ({ ok: true, value: x.value, source: 'call' } as const) : ({ ok: false, error: x.error } as const))),
        (err: unknown) => batch.items.map(() => ({ ok: false as const, error: errorMessage(err) })),
      )
      .then((results) => {
        let ok = 0;
        results.forEach((res, i) => {
          const item = batch.items[i];
          if (res.ok) {
            ok++;
            if (!cacheBuf.length) cacheSince = Date.now();
            cacheBuf.push({ hash: item.hash, translation: res.value });
          }
          item.resolve(res);
        });
        stats.batchDone(batch.cls, ok, batch.items.length, tally);
        scheduleWrite();
      })
      .finally(() => {
        inFlight--;
        notify();
      });
  };

  let claimed = 0;
  while (!stopped()) {
    if (o.limit && claimed >= o.limit) break;
    // the window: batches in flight and reviews held are both bounded, whatever the size of the backlog
    while ((inFlight >= maxInFlight || held.size >= maxHeld) && !stopped()) await new Promise<void>((r) => (wake = r));
    if (stopped()) break;
    const want = o.limit ? Math.min(tcfg.chunkSize, o.limit - claimed) : tcfg.chunkSize;
    const rows = await claimReviews(ctx.store, 'tr', {
      owner,
      leaseMs: cfg.daemon.leaseMs,
      limit: want,
      productId: o.productId,
      jobId: o.jobId,
      columns: TRANSLATE_COLUMNS,
    });
    if (rows.length === 0) {
      // another daemon still holds reviews in scope: stay until they settle or its lease expires (a crash), so
      // the run, and the shared job, never ends with a dead daemon's claims left behind
      if (!(await othersHold(ctx, o.productId))) break;
      // send our partial batches now: the others may be waiting for our claims just as we wait for theirs
      for (const b of packer.flush()) submit(b);
      // claims of ours with nothing in flight are ones whose write failed: hand them back to be claimed again
      if (inFlight === 0 && settling.size === 0 && (held.size || unwritten.size)) {
        flush(true);
        await writing;
        const stuck = [...held, ...unwritten];
        await releaseClaims(ctx.store, 'tr', owner, stuck).then(
          () => stuck.forEach((id) => (held.delete(id), unwritten.delete(id))),
          () => {},
        );
        continue;
      }
      await sleep(Math.min(1000, cfg.daemon.heartbeatMs), o.signal, o.cancel, ctx.signal);
      continue;
    }
    claimed += rows.length;
    const { reviews, items, cacheHits } = await book.prepare(rows);
    stats.chunk(reviews, items, cacheHits);
    o.progress?.(stats.snapshot(tally));
    for (const r of reviews) follow(r);
    // texts of one language side by side: most batches are then of one language, which the prompt can name
    // (a plain comparison: the codes are ASCII, and localeCompare's collation cost more than the packing)
    const byLanguage = items.slice().sort((a, b) => byLang(a.lang, b.lang));
    for (const b of packer.add(byLanguage)) submit(b);
  }
  const rest = packer.flush();
  if (stopped()) for (const b of rest) for (const item of b.items) item.resolve({ ok: false, error: ABORTED });
  else for (const b of rest) submit(b);
  await Promise.all([...settling]);
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  await new Promise<void>((r) => setImmediate(r));
  flush(true);
  await writing;
  if (held.size || unwritten.size) await releaseClaims(ctx.store, 'tr', owner, [...held, ...unwritten]).catch(() => {});
  const summary = stats.finish(tally);
  return o.cancel?.aborted ? { ...summary, cancelled: true, released: stats.released } : summary;
}

/** Language codes in order, texts of unknown language first (where the collation put '~' before the letters). */
const byLang = (a = '', b = '') => (a < b ? -1 : a > b ? 1 : 0);

/** Whether reviews in scope are claimed by another owner right now (its batches are in flight, or it died). */
async function othersHold(ctx: DaemonContext, productId?: string | null): Promise<boolean> {
  // reviews held by a Batch API batch are another run's for up to a day: never wait for them
  const q = ctx.store
    .knex('reviews')
    .select('id')
    .where('tr_status', 'in_progress')
    .whereNot('tr_owner', ctx.daemonId)
    .andWhereNot('tr_owner', 'like', `${BATCH_OWNER_PREFIX}%`);
  if (productId) q.andWhere('product_id', productId);
  return !!(await q.first());
}
