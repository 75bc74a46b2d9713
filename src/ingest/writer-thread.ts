/**
 * The thread `voc ingest --direct` writes through (see storeSink in sink.ts): the store opened here, each chunk
 * inserted as it arrives and answered with its result or its error. Chunks arrive in the wire form (wire.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { openStore, type Store } from '../store/db.js';
import { insertReviews, type NewReview } from '../store/reviews.js';
import { fromWireRows } from './wire.js';
import { toThreadError, type WriterReply, type WriterRequest } from './writer-protocol.js';

const port = parentPort!;
let store: Promise<Store> | null = null;

port.on('message', (m: WriterRequest) => {
  if (m.kind === 'close') {
    void (store ?? Promise.resolve(null))
      .then((s) => s?.close())
      .catch(() => {})
      .finally(() => port.close());
    return;
  }
  store ??= openStore(workerData.config as Config);
  const rows = fromWireRows(m.fields, m.rows) as unknown as NewReview[];
  store
    .then((s) => insertReviews(s, rows, { ingestFile: m.file, products: m.products }))
    .then(
      (result) => port.postMessage({ id: m.id, result } satisfies WriterReply),
      (err: unknown) => port.postMessage({ id: m.id, error: toThreadError(err) } satisfies WriterReply),
    );
});
