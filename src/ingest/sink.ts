import type { Config } from '../config/schema.js';
import { openStore, type Store } from '../store/db.js';
import { insertReviews, type InsertResult, type NewReview, type ProductMeta } from '../store/reviews.js';

/**
 * Where parsed chunks go. `voc ingest` writes through the store directly today; the daemon-backed sink posts the
 * same chunks to the ingestion lane. `write` resolves once the chunk is committed.
 */
export interface IngestSink {
  write(chunk: { file: string | null; rows: NewReview[]; products?: ProductMeta[] }): Promise<InsertResult>;
  close(): Promise<void>;
}

/** A sink on the configured store (SQLite file or PostgreSQL), opened on the first write. */
export function storeSink(config: Config): IngestSink {
  let store: Promise<Store> | null = null;
  let closed = false;
  return {
    async write(chunk) {
      if (closed) throw new Error('ingest sink is closed');
      store ??= openStore(config);
      return insertReviews(await store, chunk.rows, { ingestFile: chunk.file, products: chunk.products });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (store) await (await store.catch(() => null))?.close();
    },
  };
}
