import type { DaemonContext } from '../context.js';
import { readAnswers } from '../llm/batch-api.js';
import type { BatchAnswer, BatchApi } from '../llm/types.js';
import { batchCostOf } from '../llm/usage.js';
import { eachLinePage, linesById, markLines, updateBatch, type BatchLineRow, type BatchRow } from '../store/batches.js';
import { now } from '../store/db.js';
import { withTempFile } from './files.js';
import type { BatchHandler, SettleCounts } from './types.js';

/**
 * Collecting a finished (completed, expired, cancelled, failed or rejected) batch, for any kind of work:
 *   1. the output and error files are streamed to disk and read a page of lines at a time; every answer is checked
 *      against the line it names (an unknown or repeated custom_id, a failed line, a body that is not the JSON asked
 *      for is never stored: its line is redone), valid answers are stored by the kind's handler, then the lines are
 *      marked and their usage recorded at the batch price, in one transaction per page;
 *   2. lines with no answer at all are marked to redo;
 *   3. lines to redo are redone in realtime through the gateway (or handed to a follow-up batch), a page at a time;
 *      a cancelled batch redoes nothing: its unanswered reviews go back to pending;
 *   4. the batch's reviews are settled from what was stored.
 * Every step can run again after a crash: lines already marked are skipped, stores are idempotent.
 */
export interface CollectResult extends SettleCounts {
  redone: number;
  problems: number;
}

const PAGE = 500;
const REDO_PAGE = 100;
const WHOLE_FILE_FAILURES = new Set(['rejected', 'failed']);

function problem(ctx: DaemonContext, row: BatchRow, text: string): void {
  ctx.log.warn('batch_answer_rejected', { batch: row.id, jobId: row.job_id, reason: text });
  ctx.events.emit('log:line', { text: `batch ${row.id}: ${text}` });
}

export async function collectBatch(ctx: DaemonContext, api: BatchApi, row: BatchRow, handler: BatchHandler): Promise<CollectResult> {
  const files = [row.output_file_id, row.error_file_id].filter((f): f is string => !!f);
  const problems = files.length ? await readFiles(ctx, api, row, handler, files) : 0;

  // lines the provider never answered (expired, cancelled, failed, rejected, or simply missing from the files)
  await ctx.store
    .knex('llm_batch_lines')
    .where({ batch: row.id, status: 'pending' })
    .update({ status: 'redo', error: (row.error ?? `no answer (batch ${row.provider_status ?? 'ended'})`).slice(0, 500) });

  // a file the provider rejected (HTTP 400) or failed as a whole (validation) would fail again: its lines are redone
  // in realtime whatever the mode
  const inBatch = handler.redoMode() === 'batch' && !WHOLE_FILE_FAILURES.has(row.provider_status ?? '');
  const release = row.cancel_requested || inBatch;
  let redone = 0;
  if (!release) {
    for await (const page of eachLinePage(ctx.store, row.id, { pageSize: REDO_PAGE, status: 'redo' })) {
      await handler.redo(row, page);
      redone += page.length;
    }
  }
  // a redo cut short by a shutdown is not a failure: the row stays to collect, and the restart redoes the rest
  if (ctx.signal.aborted) throw new Error('the daemon is stopping; the batch is settled after a restart');
  const settled = await handler.settle(row, { release });
  await updateBatch(ctx.store, row.id, { state: 'done', driver: null, driver_lease: null });
  const how = row.cancel_requested ? 'handed back (cancelled)' : release ? 'left to a follow-up batch' : 'redone in realtime';
  ctx.events.emit('log:line', {
    text: `batch ${row.id} (${row.kind}, ${row.provider_status ?? 'ended'}): ${settled.done} reviews settled, ${redone} requests ${how}, ${settled.failed} failed, ${settled.released} handed back`,
  });
  return { ...settled, redone, problems };
}

/** Both files, twice each: once to count custom_ids (a repeated one is never trusted), once to store a page at a time. */
async function readFiles(ctx: DaemonContext, api: BatchApi, row: BatchRow, handler: BatchHandler, fileIds: string[]): Promise<number> {
  return withTempFile(ctx, `voc-batch-${row.id}-${row.nonce}.out.jsonl`, async (outFile) =>
    withTempFile(ctx, `voc-batch-${row.id}-${row.nonce}.err.jsonl`, async (errFile) => {
      const paths = [outFile, errFile].slice(0, fileIds.length);
      for (let i = 0; i < fileIds.length; i++) await api.download(fileIds[i], paths[i]);
      let problems = 0;
      const seen = new Map<string, number>();
      for (const p of paths)
        for await (const got of readAnswers(p, api.simulated)) {
          if ('bad' in got) continue;
          seen.set(got.answer.customId, (seen.get(got.answer.customId) ?? 0) + 1);
        }
      const reported = new Set<string>();
      for (const p of paths) {
        let page: BatchAnswer[] = [];
        for await (const got of readAnswers(p, api.simulated)) {
          if ('bad' in got) {
            problems++;
            problem(ctx, row, `output ${got.bad}; ignored`);
            continue;
          }
          page.push(got.answer);
          if (page.length >= PAGE) {
            problems += await storePage(ctx, row, handler, page, seen, reported);
            page = [];
          }
        }
        if (page.length) problems += await storePage(ctx, row, handler, page, seen, reported);
      }
      return problems;
    }),
  );
}

async function storePage(
  ctx: DaemonContext,
  row: BatchRow,
  handler: BatchHandler,
  answers: BatchAnswer[],
  seen: Map<string, number>,
  reported: Set<string>,
): Promise<number> {
  const cfg = ctx.config;
  let problems = 0;
  const lines = await linesById(ctx.store, row.id, [...new Set(answers.map((a) => a.customId))]);
  const updates: Array<{ customId: string; status: 'done' | 'redo'; error?: string | null }> = [];
  const asked: Array<{ line: BatchLineRow; content: string; answer: Extract<BatchAnswer, { ok: true }> }> = [];
  const taken = new Set<string>();
  for (const a of answers) {
    const line = lines.get(a.customId);
    if (!line) {
      problems++;
      problem(ctx, row, `output line with unknown custom_id ${JSON.stringify(a.customId).slice(0, 60)}; ignored`);
      continue;
    }
    if (line.status !== 'pending' || taken.has(a.customId)) continue;
    if ((seen.get(a.customId) ?? 0) > 1) {
      // every copy is refused: which of them carries this line's answer cannot be told
      if (!reported.has(a.customId)) {
        reported.add(a.customId);
        problems++;
        problem(ctx, row, `custom_id ${a.customId} is repeated in the output; its line is redone`);
      }
      taken.add(a.customId);
      updates.push({ customId: a.customId, status: 'redo', error: 'custom_id repeated in the output' });
      continue;
    }
    taken.add(a.customId);
    if (!a.ok) updates.push({ customId: a.customId, status: 'redo', error: a.error });
    else asked.push({ line, content: a.content, answer: a });
  }
  const checks = await handler.check(row, asked);
  const values: Array<{ line: BatchLineRow; value: unknown }> = [];
  const usage: Record<string, unknown>[] = [];
  let cost = 0;
  asked.forEach((x, i) => {
    const c = checks[i];
    if (c.ok) {
      values.push({ line: x.line, value: c.value });
      updates.push({ customId: x.line.custom_id, status: 'done' });
    } else {
      problems++;
      problem(ctx, row, `answer of ${x.line.custom_id} rejected: ${c.error}; its line is redone`);
      updates.push({ customId: x.line.custom_id, status: 'redo', error: c.error });
    }
    const model = x.answer.model || cfg.llm.model;
    const spent = batchCostOf(cfg, model, { promptTokens: x.answer.promptTokens, completionTokens: x.answer.completionTokens });
    cost += spent;
    usage.push({
      ts: now(),
      lane: handler.lane,
      product_id: (c.ok ? c.productId : null) ?? null,
      job_id: row.job_id,
      ingest_file: null,
      model,
      prompt_tokens: x.answer.promptTokens,
      completion_tokens: x.answer.completionTokens,
      cost: spent,
      status: 'ok',
      latency_ms: null,
      items: (JSON.parse(x.line.texts) as unknown[]).length,
      batch: true,
    });
  });
  // results first (idempotent), then the lines and their usage together: a crash between the two stores the same
  // results again and records the usage once
  await handler.store(row, values);
  await ctx.store.knex.transaction(async (trx) => {
    const k = trx as unknown as typeof ctx.store.knex;
    await markLines(k, row.id, updates);
    for (let i = 0; i < usage.length; i += 100) await k('llm_usage').insert(usage.slice(i, i + 100));
    if (cost) await k('llm_batches').where({ id: row.id }).increment('cost', cost);
  });
  return problems;
}
