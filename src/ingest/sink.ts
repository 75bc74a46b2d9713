import type { Config } from '../config/schema.js';
import type { Store } from '../store/db.js';
import type { InsertResult, NewReview, ProductMeta } from '../store/reviews.js';

/**
 * Where parsed chunks go. `voc ingest` writes through the store directly with --direct; the daemon-backed sink
 * posts the same chunks to the ingestion lane. `write` resolves once the chunk is committed.
 */
export interface IngestSink {
  write(chunk: { file: string | null; rows: NewReview[]; products?: ProductMeta[] }): Promise<InsertResult>;
  close(): Promise<void>;
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
