import type { DaemonContext } from '../../context.js';
import { errorMessage } from '../../errors.js';
import type { BatchApi, LlmRequest, RemoteBatch } from '../../llm/types.js';
import { linesOf, updateBatch, type BatchRow } from '../../store/batches.js';
import { translationRequest, type CallTally } from '../call.js';
import { collectBatch, type CollectResult } from './collect.js';

/**
 * One step of a batch row's life; each step saves what it learnt before the next runs, so a kill -9 anywhere
 * resumes at the step it was in: `uploading` and `creating` look for their own earlier attempt first (by file name,
 * by the batch's metadata tag), so a file is never uploaded and a batch never created (paid) twice.
 */
const TERMINAL = new Set<RemoteBatch['status']>(['completed', 'expired', 'cancelled', 'failed']);

const fileName = (row: BatchRow) => `voc-batch-${row.id}-${row.nonce}.jsonl`;
const tagOf = (row: BatchRow) => `voc-${row.id}-${row.nonce}`;

async function jsonlOf(ctx: DaemonContext, api: BatchApi, row: BatchRow): Promise<string> {
  const base: Pick<LlmRequest, 'lane'> = { lane: 'translation' };
  const lines = await linesOf(ctx.store, row.id);
  return (
    lines
      .map((l) =>
        api.line(
          l.custom_id,
          translationRequest(
            (JSON.parse(l.texts) as Array<{ norm: string }>).map((t) => t.norm),
            ctx.config.translate.targetLanguage,
            l.cls === 'vip',
            base,
          ),
        ),
      )
      .join('\n') + '\n'
  );
}

function saveRemote(ctx: DaemonContext, row: BatchRow, b: RemoteBatch): Partial<BatchRow> {
  const patch: Partial<BatchRow> = {
    batch_id: b.id,
    provider_status: b.status,
    completed: b.completed,
    failed: b.failed,
    output_file_id: b.outputFileId,
    error_file_id: b.errorFileId,
  };
  if (b.status === 'failed') patch.error = `the provider failed the batch: ${b.errors.slice(0, 3).join('; ') || 'no reason given'}`;
  if (TERMINAL.has(b.status)) {
    patch.state = 'collecting';
    if (b.status === 'failed') {
      ctx.log.warn('batch_failed', { batch: row.id, reason: patch.error });
      ctx.events.emit('log:line', { text: `batch ${row.id}: ${patch.error}; its reviews are redone` });
    }
  }
  return patch;
}

/** Advance the row by one step; returns the collect result when the row finished in this step. */
export async function advance(ctx: DaemonContext, api: BatchApi, row: BatchRow, tally: CallTally): Promise<CollectResult | null> {
  try {
    switch (row.state) {
      case 'prepared':
      case 'uploading': {
        const recover = row.state === 'uploading';
        if (!recover) await updateBatch(ctx.store, row.id, { state: 'uploading' });
        let fileId: string;
        try {
          fileId = await api.upload(fileName(row), await jsonlOf(ctx, api, row), { recover });
        } catch (err) {
          const status = (err as { status?: number }).status;
          if (status === undefined || status === 429 || status >= 500) throw err;
          // the provider refused the file (400, 413...): nothing was paid; every request is redone
          const reason = `the provider rejected the file: ${errorMessage(err)}`;
          ctx.log.warn('batch_rejected', { batch: row.id, reason });
          ctx.events.emit('log:line', { text: `batch ${row.id}: ${reason}; its reviews are redone` });
          await updateBatch(ctx.store, row.id, { state: 'collecting', provider_status: 'rejected', error: reason.slice(0, 500) });
          return null;
        }
        await updateBatch(ctx.store, row.id, { state: 'uploaded', file_id: fileId });
        return null;
      }
      case 'uploaded':
      case 'creating': {
        const recover = row.state === 'creating';
        if (!recover) await updateBatch(ctx.store, row.id, { state: 'creating' });
        const b = await api.create(row.file_id!, tagOf(row), { recover });
        await updateBatch(ctx.store, row.id, { state: 'submitted', ...saveRemote(ctx, row, b) });
        ctx.log.info('batch_created', { batch: row.id, remote: b.id, requests: row.requests });
        return null;
      }
      case 'submitted': {
        const b = await api.retrieve(row.batch_id!);
        await updateBatch(ctx.store, row.id, saveRemote(ctx, row, b));
        return null;
      }
      case 'collecting':
        return await collectBatch(ctx, api, row, tally);
      default:
        return null;
    }
  } catch (err) {
    // network trouble, 5xx, 429: the row stays where it was and the next poll tries again
    ctx.log.warn('batch_step_failed', { batch: row.id, state: row.state, error: errorMessage(err) });
    return null;
  }
}
