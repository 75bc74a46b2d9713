import type { DaemonContext } from '../context.js';
import { errorMessage } from '../errors.js';
import type { BatchApi, RemoteBatch } from '../llm/types.js';
import { updateBatch, type BatchRow } from '../store/batches.js';
import { collectBatch, type CollectResult } from './collect.js';
import { uploadBatchFile } from './files.js';
import type { BatchHandler } from './types.js';

/**
 * One step of a batch row's life; each step saves what it learnt before the next runs, so a kill -9 anywhere
 * resumes at the step it was in: `uploading` and `creating` look for their own earlier attempt first (by file name,
 * by the batch's metadata tag), so a file is never uploaded and a batch never created (paid) twice. A row whose
 * planner died (`planning`) holds a whole, smaller batch: it is sent as it is.
 *
 * A cancel (`cancel_requested`) takes its own path: a row the provider never saw is collected at once (nothing to
 * keep, every review handed back); one with the provider is cancelled there and collected when the provider says
 * it is over, with the lines it answered before the cancel.
 */
const TERMINAL = new Set<string>(['completed', 'expired', 'cancelled', 'failed', 'rejected']);

const fileName = (row: BatchRow) => `voc-batch-${row.id}-${row.nonce}.jsonl`;
const tagOf = (row: BatchRow) => `voc-${row.id}-${row.nonce}`;

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

/** The cancel path; returns true when it handled this step. */
async function cancelStep(ctx: DaemonContext, api: BatchApi, row: BatchRow): Promise<boolean> {
  const unsent = async () => {
    await updateBatch(ctx.store, row.id, { state: 'collecting', provider_status: row.provider_status ?? 'cancelled', error: 'cancelled' });
    ctx.log.info('batch_cancelled', { batch: row.id, sent: false });
  };
  switch (row.state) {
    case 'planning':
    case 'prepared':
    case 'uploading':
    case 'uploaded':
      // nothing was created with the provider (an uploaded file costs nothing and is left there)
      await unsent();
      return true;
    case 'creating': {
      // the create may or may not have reached the provider before a crash: ask it, and cancel what it has
      const b = await api.find(tagOf(row));
      if (!b) await unsent();
      else await updateBatch(ctx.store, row.id, { state: 'submitted', ...saveRemote(ctx, row, b) });
      return true;
    }
    case 'submitted': {
      if (row.provider_status && TERMINAL.has(row.provider_status)) return false;
      let b: RemoteBatch;
      if (row.provider_status === 'cancelling') b = await api.retrieve(row.batch_id!);
      else {
        try {
          b = await api.cancel(row.batch_id!);
          ctx.log.info('batch_cancelled', { batch: row.id, sent: true, remote: row.batch_id, status: b.status });
        } catch (err) {
          // it ended meanwhile (providers refuse to cancel a finished batch): read what it is now
          const status = (err as { status?: number }).status;
          if (status === undefined || status === 429 || status >= 500) throw err;
          b = await api.retrieve(row.batch_id!);
        }
      }
      await updateBatch(ctx.store, row.id, saveRemote(ctx, row, b));
      return true;
    }
    default:
      return false;
  }
}

/** Advance the row by one step; returns the collect result when the row finished in this step. */
export async function advance(ctx: DaemonContext, api: BatchApi, row: BatchRow, handler: BatchHandler): Promise<CollectResult | null> {
  try {
    if (row.cancel_requested && (await cancelStep(ctx, api, row))) return null;
    switch (row.state) {
      case 'planning':
        // its planner died between two windows: what it wrote is a whole batch
        await updateBatch(
          ctx.store,
          row.id,
          row.requests > 0 ? { state: 'prepared' } : { state: 'done', driver: null, driver_lease: null },
        );
        return null;
      case 'prepared':
      case 'uploading': {
        const recover = row.state === 'uploading';
        if (!recover) await updateBatch(ctx.store, row.id, { state: 'uploading' });
        let fileId: string;
        try {
          fileId = await uploadBatchFile(ctx, api, row, handler, fileName(row), { recover });
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
        return await collectBatch(ctx, api, row, handler);
      default:
        return null;
    }
  } catch (err) {
    // network trouble, 5xx, 429: the row stays where it was and the next poll tries again
    ctx.log.warn('batch_step_failed', { batch: row.id, state: row.state, error: errorMessage(err) });
    return null;
  }
}
