import type { DaemonContext } from '../context.js';
import type { InsertResult, NewReview } from '../store/reviews.js';
import { ingestChunk } from './commit.js';
import { errorMessage } from '../errors.js';
import { toReview } from './validate.js';
import { bufferKeys, createBufferQueue, type Batch, type BufferQueue, type DeadLetter } from './buffer-queue.js';

/** Elements per batch: one processing-list move, one insert transaction, one acknowledgement. */
export const DRAIN_BATCH = 500;
/** batches per beat tick, so one tick ends even while producers keep pushing */
const MAX_ROUNDS = 100;

type Ctx = Pick<DaemonContext, 'config' | 'log' | 'store' | 'redis' | 'daemonId' | 'events' | 'lanes' | 'leases' | 'signal'>;

/** This daemon's handle on the buffer; null without Redis. */
export function bufferQueue(ctx: Pick<DaemonContext, 'config' | 'redis' | 'daemonId'>): BufferQueue | null {
  if (!ctx.redis) return null;
  return createBufferQueue(
    ctx.redis,
    bufferKeys(ctx.config.redis.keyPrefix, ctx.config.beat.ingestBufferKey),
    ctx.daemonId,
    ctx.config.daemon.leaseMs,
  );
}

export interface DrainResult {
  inserted: number;
  duplicates: number;
  rejected: number;
  /** elements moved back to the buffer from dead daemons' processing lists */
  recovered: number;
}

/**
 * The ingest buffer: other producers (a browser plugin, a scraper) RPUSH one JSON review object per element, with
 * the same fields a CSV/JSON file may carry. Each batch is committed before it leaves this daemon's processing
 * list; elements that are not valid reviews (or that the store refuses) go to the dead-letter list with the reason.
 * A failed store (PostgreSQL down) gives the batch back to the buffer and throws: the beat backs off and retries.
 */
export async function drainIngestBuffer(ctx: Ctx, batchSize = DRAIN_BATCH): Promise<DrainResult> {
  const out: DrainResult = { inserted: 0, duplicates: 0, rejected: 0, recovered: 0 };
  const q = bufferQueue(ctx);
  if (!q) return out;
  out.recovered = await recoverDeadHolders(ctx, q);
  const file = `redis:${ctx.config.beat.ingestBufferKey}`;
  for (let round = 0; round < MAX_ROUNDS && !ctx.signal.aborted; round++) {
    const batch = await q.take(batchSize);
    if (!batch.elements.length) break;
    if (batch.held) ctx.log.info('ingest_buffer_retry', { elements: batch.elements.length });
    const { rows, dead } = parseBatch(ctx, batch);
    let stored: Stored;
    // a long insert (a slow or stalled store) must not let the hold lapse while this daemon is alive
    const letGo = ctx.leases.keep(() => q.renew());
    try {
      stored = await storeRows(ctx, rows, file);
    } catch (err) {
      // not committed: the batch goes back to the head of the buffer for the next attempt (by any daemon); if
      // Redis is unreachable too it stays in this daemon's processing list, where the next take finds it first
      await q.release().catch(() => {});
      throw err;
    } finally {
      letGo();
    }
    for (const c of stored.result.conflicts) {
      const i = (c.line ?? 0) - 1;
      dead.push(
        deadLetter(
          ctx,
          batch.elements[i] ?? '',
          'body',
          `conflict: review ${c.reviewId ?? c.sourceKey} is already stored with another body`,
        ),
      );
    }
    for (const { row, reason } of stored.refused)
      dead.push(deadLetter(ctx, batch.elements[(row.line ?? 0) - 1] ?? '', '(element)', `store refused it: ${reason}`));
    await q.ack(batch, dead);
    out.inserted += stored.result.inserted;
    out.duplicates += stored.result.duplicates;
    out.rejected += dead.length;
    for (const d of dead) ctx.log.warn('ingest_buffer_rejected', { field: d.field, reason: d.reason, sample: d.element.slice(0, 80) });
    if (batch.elements.length < batchSize && !batch.held) break;
  }
  if (out.inserted || out.rejected || out.recovered) {
    const recovered = out.recovered ? `, ${out.recovered} recovered from stopped daemons` : '';
    const dead = out.rejected ? ` (dead-letter list ${q.keys.dead})` : '';
    ctx.events.emit('log:line', {
      text: `ingest buffer: ${out.inserted} stored, ${out.duplicates} already stored, ${out.rejected} rejected${dead}${recovered}`,
    });
  }
  return out;
}

function deadLetter(ctx: Ctx, element: string, field: string, reason: string): DeadLetter {
  // a reason may quote the element (JSON.parse does): control characters never reach a log line or a terminal
  return { at: Date.now(), daemon: ctx.daemonId, field, reason: reason.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' '), element };
}

/** Elements in, valid rows (line = position in the batch, 1-based) and dead letters out. */
function parseBatch(ctx: Ctx, batch: Batch): { rows: NewReview[]; dead: DeadLetter[] } {
  const rows: NewReview[] = [];
  const dead: DeadLetter[] = [];
  const file = `redis:${ctx.config.beat.ingestBufferKey}`;
  batch.elements.forEach((raw, i) => {
    let rec: unknown;
    try {
      rec = JSON.parse(raw);
    } catch (err) {
      dead.push(deadLetter(ctx, raw, '(element)', `not JSON: ${errorMessage(err)}`));
      return;
    }
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
      dead.push(
        deadLetter(ctx, raw, '(element)', `not a JSON object (${Array.isArray(rec) ? 'an array' : rec === null ? 'null' : typeof rec})`),
      );
      return;
    }
    const r = toReview(rec as Record<string, unknown>, { config: ctx.config, file, line: i + 1 });
    if (r.ok) rows.push(r.review);
    else dead.push(deadLetter(ctx, raw, r.field, r.reason));
  });
  return { rows, dead };
}

interface Stored {
  result: InsertResult;
  refused: Array<{ row: NewReview; reason: string }>;
}

/**
 * The store refused the data itself (PostgreSQL SQLSTATE class 22 or 23, SQLite constraint or type errors), as
 * opposed to being unreachable: retrying cannot help, so the element at fault is found and set aside.
 */
export function isDataError(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? '');
  return /^(22|23)[0-9A-Z]{3}$/.test(code) || /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/.test(code);
}

/** Insert the rows; when the store refuses the chunk, halve it until the refused rows are alone. */
async function storeRows(ctx: Ctx, rows: NewReview[], file: string): Promise<Stored> {
  if (!rows.length) return { result: { inserted: 0, duplicates: 0, conflicts: [], newProducts: [] }, refused: [] };
  try {
    return { result: await ingestChunk(ctx, { file, rows }), refused: [] };
  } catch (err) {
    if (!isDataError(err)) throw err;
    if (rows.length === 1)
      return {
        result: { inserted: 0, duplicates: 0, conflicts: [], newProducts: [] },
        refused: [{ row: rows[0], reason: errorMessage(err) }],
      };
    const mid = Math.ceil(rows.length / 2);
    const a = await storeRows(ctx, rows.slice(0, mid), file);
    const b = await storeRows(ctx, rows.slice(mid), file);
    return {
      result: {
        inserted: a.result.inserted + b.result.inserted,
        duplicates: a.result.duplicates + b.result.duplicates,
        conflicts: [...a.result.conflicts, ...b.result.conflicts],
        newProducts: [...a.result.newProducts, ...b.result.newProducts],
      },
      refused: [...a.refused, ...b.refused],
    };
  }
}

/**
 * Processing lists whose owner's hold has lapsed (it died, or has not renewed for a lease) go back to the buffer.
 * A daemon only stalled that long is taken over too: its late commit and the new one store the same source keys,
 * so each review is still stored once.
 */
async function recoverDeadHolders(ctx: Ctx, q: BufferQueue): Promise<number> {
  let moved = 0;
  for (const id of await q.holders()) {
    const n = await q.recover(id);
    if (n > 0) {
      ctx.log.warn('ingest_buffer_recovered', { from: id, elements: n });
      moved += n;
    }
  }
  return moved;
}
