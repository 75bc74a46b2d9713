import type { DaemonContext } from '../../context.js';
import type { BatchHandler, SettleCounts } from '../../batch/types.js';
import { InvalidAnswerError } from '../../llm/keyed.js';
import { releaseClaims } from '../../store/claims.js';
import { batchOwner, heldReviews, type BatchLineRow, type BatchRow } from '../../store/batches.js';
import { readCache, settleReviews, writeCache } from '../../store/translations.js';
import type { ReviewRow } from '../../store/reviews.js';
import { commonLanguage, readTranslations, translateTexts, translationRequest, type CallTally } from '../call.js';
import { TextBook } from '../prepare.js';
import { outcomeOf } from './outcome.js';

/**
 * Translation through the Batch API engine (src/batch): a line is one realtime call's texts (same classes, packing,
 * prompts, keyed protocol; the source language named when every text of the line is surely in it), an answer is
 * read as a realtime answer is, valid translations go to the cache, redone lines are translated in realtime through
 * the gateway, halves first, and the batch's reviews are settled from the cache.
 */
type Text = { hash: string; norm: string; lang?: string };

const textsOf = (line: Pick<BatchLineRow, 'texts'>) => JSON.parse(line.texts) as Text[];
/** reviews settled per transaction, and per query (under SQLite's bound-variable limit) */
const SETTLE_PAGE = 500;

export function translationHandler(ctx: DaemonContext, tally: CallTally): BatchHandler<string[]> {
  const cfg = ctx.config;
  const target = cfg.translate.targetLanguage;
  const key = { model: cfg.llm.model, targetLang: target };
  return {
    kind: 'translate',
    lane: 'translation',
    requests: async (lines) =>
      lines.map((l) => {
        const texts = textsOf(l);
        return translationRequest(
          texts.map((t) => t.norm),
          target,
          l.cls === 'vip',
          { lane: 'translation' },
          commonLanguage(texts),
        );
      }),
    check: async (_row, answers) =>
      answers.map(({ line, content }) => {
        try {
          return { ok: true as const, value: readTranslations(content, textsOf(line).length, line.cls === 'vip') };
        } catch (err) {
          if (!(err instanceof InvalidAnswerError)) throw err;
          return { ok: false as const, error: err.message };
        }
      }),
    store: (_row, values) =>
      writeCache(
        ctx.store,
        values.flatMap(({ line, value }) => textsOf(line).map((t, i) => ({ hash: t.hash, translation: value[i] }))),
        key,
      ),
    redoMode: () => cfg.translate.batchRedo,
    redo: (row, lines) => redoRealtime(ctx, row, lines, tally),
    settle: (row, o) => settle(ctx, row, o),
  };
}

/** Realtime redo of lines that came back failed, malformed or not at all: halves first, as a failed batch splits. */
async function redoRealtime(ctx: DaemonContext, row: BatchRow, redo: BatchLineRow[], tally: CallTally): Promise<void> {
  const key = { model: ctx.config.llm.model, targetLang: ctx.config.translate.targetLanguage };
  const have = await readCache(
    ctx.store,
    redo.flatMap((l) => textsOf(l).map((t) => t.hash)),
    key,
  );
  const parts: Array<{ texts: Text[]; single: boolean }> = [];
  for (const l of redo) {
    // texts already translated (an earlier pass before a crash, another line) cost nothing again
    const texts = textsOf(l).filter((t) => !have.has(t.hash));
    if (!texts.length) continue;
    const mid = Math.ceil(texts.length / 2);
    for (const part of texts.length > 1 ? [texts.slice(0, mid), texts.slice(mid)] : [texts])
      parts.push({ texts: part, single: l.cls === 'vip' });
  }
  await Promise.all(
    parts.map(async (p) => {
      const outcomes = await ctx.lanes
        .submit({
          lane: 'translation',
          label: `redo of batch ${row.id} x${p.texts.length}`,
          jobId: row.job_id,
          productId: null,
          run: ({ signal }) =>
            translateTexts(
              p.texts.map((t) => t.norm),
              {
                gateway: ctx.gateway,
                targetLanguage: ctx.config.translate.targetLanguage,
                jobId: row.job_id,
                signal,
                tally,
                single: p.single,
                sourceLanguage: commonLanguage(p.texts),
              },
            ),
        })
        .catch(() => []);
      const entries = outcomes.flatMap((o, i) => (o.ok ? [{ hash: p.texts[i].hash, translation: o.value }] : []));
      await writeCache(ctx.store, entries, key);
    }),
  );
}

/** The batch's reviews from the cache, a page at a time: translated where every text has its answer, else failed (or handed back). */
async function settle(ctx: DaemonContext, row: BatchRow, o: { release: boolean }): Promise<SettleCounts> {
  const owner = batchOwner(row.id);
  const counts: SettleCounts = { done: 0, failed: 0, released: 0 };
  const reason = `batch ${row.id}: ${row.error ?? `no valid answer (batch ${row.provider_status ?? 'ended'})`}`;
  let after = 0;
  for (;;) {
    const ids = await heldReviews(ctx.store, row, { afterId: after, limit: SETTLE_PAGE });
    if (!ids.length) break;
    after = ids[ids.length - 1];
    const rows = (await ctx.store.knex('reviews').whereIn('id', ids).orderBy('id')) as ReviewRow[];
    const book = new TextBook(ctx.store, ctx.config);
    const { reviews, items } = await book.prepare(rows);
    for (const item of items) item.resolve({ ok: false, error: reason });
    const outcomes = await Promise.all(reviews.map((r) => outcomeOf(r, { answered: true })));
    const failed = outcomes.filter((x) => x.status === 'failed');
    let keep = outcomes;
    if (failed.length && o.release) {
      // a cancel, or a follow-up batch: handed back without an attempt counted
      counts.released += await releaseClaims(
        ctx.store,
        'tr',
        owner,
        failed.map((x) => x.id),
      );
      keep = outcomes.filter((x) => x.status !== 'failed');
    }
    await settleReviews(ctx.store, owner, keep, { entries: [], key: book.cacheKey() });
    counts.done += keep.filter((x) => x.status !== 'failed').length;
    counts.failed += keep.filter((x) => x.status === 'failed').length;
  }
  return counts;
}
