import { randomUUID } from 'node:crypto';
import type { DaemonContext } from '../context.js';
import type { BatchApi } from '../llm/types.js';
import { appendWindow, openBatchRow, updateBatch, type BatchKind } from '../store/batches.js';
import { BATCH_HOLD_MS } from './rounds.js';
import type { BatchHandler } from './types.js';

/**
 * Fills batch rows window by window while a round is planned: a window (the lines of a few thousand claimed
 * reviews) goes into the current row when it fits the provider's limits (requests and bytes per file), else the
 * row is closed and a new one opened. A window never spans two rows, so each review's claim moves to exactly one
 * batch. Only the current window is in memory.
 */
export interface WindowLine {
  cls: string;
  /** JSON, kind-specific (see BatchLineRow.texts) */
  texts: string;
}

/** A window is bigger than one file may be: plan it in smaller parts. */
export class WindowTooLarge extends Error {}

export class PlanWriter {
  readonly batches: number[] = [];
  private row: { id: number; requests: number; bytes: number; reviews: number } | null = null;

  constructor(
    private ctx: DaemonContext,
    private api: BatchApi,
    private handler: BatchHandler,
    private o: { jobId: number | null; kind: BatchKind },
  ) {}

  private get limits() {
    return { requests: this.ctx.config.translate.batchMaxRequests, bytes: this.ctx.config.translate.batchMaxBytes };
  }

  /** Add a window: its lines and the reviews (claimed by this daemon) whose claims move to the batch. */
  async add(reviewIds: number[], lines: WindowLine[]): Promise<void> {
    if (!lines.length) return;
    const requests = await this.handler.requests(lines);
    const sized = (start: number) =>
      lines.map((l, i) => {
        const customId = `l${start + i + 1}`;
        return { customId, cls: l.cls, texts: l.texts, bytes: Buffer.byteLength(this.api.line(customId, requests[i])) + 1 };
      });
    const total = (ls: Array<{ bytes: number }>) => ls.reduce((n, l) => n + l.bytes, 0);
    let out = sized(this.row?.requests ?? 0);
    const fits = (r: { requests: number; bytes: number }) =>
      r.requests + out.length <= this.limits.requests && r.bytes + total(out) <= this.limits.bytes;
    if (this.row && !fits(this.row)) {
      await this.close();
      out = sized(0);
    }
    if (!this.row) {
      if (!fits({ requests: 0, bytes: 0 })) throw new WindowTooLarge(`${out.length} requests, ${total(out)} bytes`);
      const id = await openBatchRow(this.ctx.store, {
        jobId: this.o.jobId,
        kind: this.o.kind,
        nonce: randomUUID().slice(0, 8),
        owner: this.ctx.daemonId,
        leaseMs: this.ctx.config.daemon.leaseMs,
      });
      this.row = { id, requests: 0, bytes: 0, reviews: 0 };
      this.batches.push(id);
    }
    await appendWindow(this.ctx.store, this.row.id, this.o.kind, {
      owner: this.ctx.daemonId,
      leaseMs: this.ctx.config.daemon.leaseMs,
      holdMs: BATCH_HOLD_MS,
      reviewIds,
      lines: out,
    });
    this.row.requests += out.length;
    this.row.bytes += total(out);
    this.row.reviews += reviewIds.length;
  }

  /** Close the current row: it is ready to be sent. */
  async close(): Promise<void> {
    const r = this.row;
    if (!r) return;
    this.row = null;
    await updateBatch(this.ctx.store, r.id, { state: 'prepared' });
    const { kind, jobId } = this.o;
    this.ctx.log.info('batch_planned', { jobId, batch: r.id, kind, reviews: r.reviews, requests: r.requests, bytes: r.bytes });
    this.ctx.events.emit('log:line', {
      text: `batch ${r.id} (${kind}): ${r.reviews} reviews in ${r.requests} requests (${Math.round(r.bytes / 1024)} KB) for the Batch API`,
    });
  }
}
