import type { Config } from '../config/schema.js';
import type { Store } from '../store/db.js';
import type { InsertResult, NewReview, ProductMeta } from '../store/reviews.js';
import { CHUNKS_IN_FLIGHT } from './window.js';

/**
 * Where parsed chunks go. `voc ingest` writes through the store directly with --direct; the daemon-backed sink
 * posts the same chunks to the ingestion lane. `write` resolves once the chunk is committed.
 */
export interface IngestSink {
  write(chunk: { file: string | null; rows: NewReview[]; products?: ProductMeta[] }): Promise<InsertResult>;
  close(): Promise<void>;
  /** chunks it takes at once (default 1: the next chunk is sent when the previous one is acknowledged) */
  inFlight?: number;
}

/**
 * A sink on the configured store (SQLite file or PostgreSQL), opened on the first write. The store modules (knex
 * and its drivers) are imported then too: `voc ingest` through the daemon never loads them.
 */
export function storeSink(config: Config): IngestSink {
  let store: Promise<Store> | null = null;
  let insert: Promise<typeof import('../store/reviews.js').insertReviews> | null = null;
  let closed = false;
  return {
    // PostgreSQL inserts chunks side by side on pooled connections; SQLite takes them one after another anyway
    inFlight: CHUNKS_IN_FLIGHT,
    async write(chunk) {
      if (closed) throw new Error('ingest sink is closed');
      store ??= import('../store/db.js').then((m) => m.openStore(config));
      insert ??= import('../store/reviews.js').then((m) => m.insertReviews);
      return (await insert)(await store, chunk.rows, { ingestFile: chunk.file, products: chunk.products });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (store) await (await store.catch(() => null))?.close();
    },
  };
}
