import type { DaemonContext } from '../context.js';
import { type InsertResult, type NewReview, type ProductMeta } from '../store/reviews.js';
import { insertReviews } from '../store/insert.js';

export interface IngestChunkRequest {
  /** unique per chunk of one run: a chunk sent again (the connection broke) gets the first answer, not duplicates */
  chunkId?: string;
  file: string | null;
  rows: NewReview[];
  products?: ProductMeta[];
}

/**
 * One chunk = one base-pool task on the ingestion lane = one transaction. The promise settles after the commit, so
 * the client's acknowledgement means the rows are stored. Base never waits on LLM pools, so this stays fast while
 * they are saturated.
 */
export async function ingestChunk(ctx: Pick<DaemonContext, 'lanes' | 'store' | 'events'>, req: IngestChunkRequest): Promise<InsertResult> {
  const rows: NewReview[] = req.rows ?? [];
  const result = await ctx.lanes.submit({
    lane: 'ingestion',
    label: `ingest ${rows.length} rows${req.file ? ` from ${req.file}` : ''}`,
    run: () => insertReviews(ctx.store, rows, { ingestFile: req.file ?? null, products: req.products }),
  });
  if (result.inserted > 0 || result.newProducts.length > 0) {
    const productIds = [...new Set(rows.map((r) => r.productId))];
    ctx.events.emit('reviews:ingested', { inserted: result.inserted, productIds, newProducts: result.newProducts });
  }
  return result;
}
