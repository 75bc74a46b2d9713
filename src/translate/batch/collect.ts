import type { DaemonContext } from '../../context.js';
import { InvalidAnswerError } from '../../llm/keyed.js';
import type { BatchAnswer, BatchApi } from '../../llm/types.js';
import { batchCostOf } from '../../llm/usage.js';
import { releaseClaims } from '../../store/claims.js';
import { batchOwner, linesOf, markLines, updateBatch, type BatchLineRow, type BatchRow } from '../../store/batches.js';
import { readCache, settleReviews, writeCache } from '../../store/translations.js';
import { now } from '../../store/db.js';
import type { ReviewRow } from '../../store/reviews.js';
import { readTranslations, translateTexts, type CallTally } from '../call.js';
import { TextBook } from '../prepare.js';
import { outcomeOf } from './outcome.js';

/**
 * Collecting a finished (completed, expired, cancelled, failed or rejected) batch: every answer line is checked
 * against the line it names (an unknown or repeated custom_id, or a body that is not the JSON asked for, is never
 * stored: its line is redone), valid translations go to the cache with the line's usage at the batch price, in one
 * transaction per file; then the lines to redo are translated in realtime through the gateway, halves first (the
 * split of a failed realtime batch), or left for a follow-up batch; then the batch's reviews are settled from the
 * cache. Every step can run again after a crash: lines already done are skipped, the cache is keyed by text.
 */
type Text = { hash: string; norm: string };

export interface CollectResult {
  translated: number;
  failed: number;
  released: number;
  redone: number;
  problems: number;
}

function problem(ctx: DaemonContext, row: BatchRow, text: string): void {
  ctx.log.warn('batch_answer_rejected', { batch: row.id, jobId: row.job_id, reason: text });
  ctx.events.emit('log:line', { text: `batch ${row.id}: ${text}` });
}

export async function collectBatch(ctx: DaemonContext, api: BatchApi, row: BatchRow, tally: CallTally): Promise<CollectResult> {
  const cfg = ctx.config;
  const key = { model: cfg.llm.model, targetLang: cfg.translate.targetLanguage };
  let problems = 0;
  const lines = new Map((await linesOf(ctx.store, row.id)).map((l) => [l.custom_id, l]));
  const answers: BatchAnswer[] = [];
  for (const fileId of [row.output_file_id, row.error_file_id]) {
    if (!fileId) continue;
    const got = await api.answers(fileId);
    answers.push(...got.answers);
    for (const b of got.bad) {
      problems++;
      problem(ctx, row, `output ${b}; ignored`);
    }
  }
  const seen = new Map<string, number>();
  for (const a of answers) seen.set(a.customId, (seen.get(a.customId) ?? 0) + 1);

  const updates: Array<{ customId: string; status: 'done' | 'redo'; error?: string | null }> = [];
  const cache: Array<{ hash: string; translation: string }> = [];
  const usage: Record<string, unknown>[] = [];
  let cost = 0;
  const settledLine = new Set<string>();
  for (const a of answers) {
    const line = lines.get(a.customId);
    if (!line) {
      problems++;
      problem(ctx, row, `output line with unknown custom_id ${JSON.stringify(a.customId).slice(0, 60)}; ignored`);
      continue;
    }
    if (line.status !== 'pending' || settledLine.has(a.customId)) continue;
    settledLine.add(a.customId);
    if ((seen.get(a.customId) ?? 0) > 1) {
      problems++;
      problem(ctx, row, `custom_id ${a.customId} is repeated in the output; its texts are redone`);
      updates.push({ customId: a.customId, status: 'redo', error: 'custom_id repeated in the output' });
      continue;
    }
    if (!a.ok) {
      updates.push({ customId: a.customId, status: 'redo', error: a.error });
      continue;
    }
    const texts = JSON.parse(line.texts) as Text[];
    try {
      const values = readTranslations(a.content, texts.length, line.cls === 'vip');
      values.forEach((v, i) => cache.push({ hash: texts[i].hash, translation: v }));
      updates.push({ customId: a.customId, status: 'done' });
    } catch (err) {
      if (!(err instanceof InvalidAnswerError)) throw err;
      problems++;
      problem(ctx, row, `answer of ${a.customId} rejected: ${err.message}; its texts are redone`);
      updates.push({ customId: a.customId, status: 'redo', error: err.message });
    }
    const c = batchCostOf(cfg, a.model || cfg.llm.model, { promptTokens: a.promptTokens, completionTokens: a.completionTokens });
    cost += c;
    tally.simulated ||= a.simulated;
    usage.push({
      ts: now(),
      lane: 'translation',
      product_id: null,
      job_id: row.job_id,
      ingest_file: null,
      model: a.model || cfg.llm.model,
      prompt_tokens: a.promptTokens,
      completion_tokens: a.completionTokens,
      cost: c,
      status: 'ok',
      latency_ms: null,
      items: texts.length,
      batch: true,
    });
  }
  for (const line of lines.values()) {
    if (line.status === 'pending' && !settledLine.has(line.custom_id))
      updates.push({ customId: line.custom_id, status: 'redo', error: row.error ?? `no answer (batch ${row.provider_status ?? 'ended'})` });
  }
  await ctx.store.knex.transaction(async (trx) => {
    const k = trx as unknown as typeof ctx.store.knex;
    await writeCache(ctx.store, cache, key, k);
    await markLines(k, row.id, updates);
    for (let i = 0; i < usage.length; i += 100) await k('llm_usage').insert(usage.slice(i, i + 100));
    await k('llm_batches').where({ id: row.id }).increment('cost', cost);
  });

  const redo = (await linesOf(ctx.store, row.id)).filter((l) => l.status === 'redo');
  let redone = 0;
  if (redo.length && cfg.translate.batchRedo === 'realtime') redone = await redoRealtime(ctx, row, redo, tally);
  const settled = await settle(ctx, row, redo);
  await updateBatch(ctx.store, row.id, { state: 'done', driver: null, driver_lease: null });
  ctx.events.emit('log:line', {
    text: `batch ${row.id} (${row.provider_status ?? 'ended'}): ${settled.translated} reviews translated, ${redo.length} requests redone${cfg.translate.batchRedo === 'realtime' ? ' in realtime' : ' in a follow-up batch'}, ${settled.failed} failed`,
  });
  return { ...settled, redone, problems };
}

/** Realtime redo of the lines that came back failed, malformed or not at all: halves first, as a failed batch splits. */
async function redoRealtime(ctx: DaemonContext, row: BatchRow, redo: BatchLineRow[], tally: CallTally): Promise<number> {
  const key = { model: ctx.config.llm.model, targetLang: ctx.config.translate.targetLanguage };
  const all = redo.flatMap((l) => JSON.parse(l.texts) as Text[]);
  const have = await readCache(
    ctx.store,
    all.map((t) => t.hash),
    key,
  );
  let n = 0;
  const parts: Array<{ texts: Text[]; single: boolean }> = [];
  for (const l of redo) {
    const texts = (JSON.parse(l.texts) as Text[]).filter((t) => !have.has(t.hash));
    if (!texts.length) continue;
    n++;
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
              },
            ),
        })
        .catch(() => []);
      const entries = outcomes.flatMap((o, i) => (o.ok ? [{ hash: p.texts[i].hash, translation: o.value }] : []));
      await writeCache(ctx.store, entries, key);
    }),
  );
  return n;
}

/** The batch's reviews from the cache: translated where every text has its answer, else failed (or handed back). */
async function settle(
  ctx: DaemonContext,
  row: BatchRow,
  redo: BatchLineRow[],
): Promise<{ translated: number; failed: number; released: number }> {
  const owner = batchOwner(row.id);
  const rows = (await ctx.store.knex('reviews').where({ tr_owner: owner, tr_status: 'in_progress' }).orderBy('id')) as ReviewRow[];
  if (!rows.length) return { translated: 0, failed: 0, released: 0 };
  const reason = new Map<string, string>();
  for (const l of redo) for (const t of JSON.parse(l.texts) as Text[]) reason.set(t.hash, l.error ?? 'no valid answer');
  const book = new TextBook(ctx.store, ctx.config);
  const { reviews, items } = await book.prepare(rows);
  for (const item of items) item.resolve({ ok: false, error: `batch ${row.id}: ${reason.get(item.hash) ?? 'no valid answer'}` });
  const outcomes = await Promise.all(reviews.map(outcomeOf));
  const failed = outcomes.filter((o) => o.status === 'failed');
  let released = 0;
  if (failed.length && ctx.config.translate.batchRedo === 'batch') {
    // a follow-up batch takes them: hand them back without an attempt counted
    released = await releaseClaims(
      ctx.store,
      'tr',
      owner,
      failed.map((o) => o.id),
    );
  }
  const keep = released ? outcomes.filter((o) => o.status !== 'failed') : outcomes;
  await settleReviews(ctx.store, owner, keep, { entries: [], key: book.cacheKey() });
  return { translated: keep.filter((o) => o.status !== 'failed').length, failed: released ? 0 : failed.length, released };
}
