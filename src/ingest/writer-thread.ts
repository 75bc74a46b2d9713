/**
 * The thread `voc ingest --direct` writes a SQLite store through (see storeSink in sink.ts): the store opened here,
 * each chunk inserted as it arrives and answered with its result or its error. Chunks arrive in the wire form
 * (wire.ts). As in the daemon, the write-ahead log is copied back by a checkpoint thread of its own, not inside
 * this thread's commits (200,000 rows: 1.85 s of inserting with SQLite's own checkpoints, see the commit for after).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { checkpointInThread } from '../store/checkpointer.js';
import { openStore, type Store } from '../store/db.js';
import { type NewReview } from '../store/reviews.js';
import { insertReviews } from '../store/insert.js';
import { fromWireRows } from './wire.js';
import { toThreadError, type WriterReply, type WriterRequest } from './writer-protocol.js';

const port = parentPort!;
let store: Promise<Store> | null = null;
let stopCheckpoints: (() => Promise<void>) | null = null;

async function open(): Promise<Store> {
  const s = await openStore(workerData.config as Config);
  if (s.dialect === 'sqlite') stopCheckpoints = await checkpointInThread(s, s.where);
  return s;
}

port.on('message', (m: WriterRequest) => {
  if (m.kind === 'close') {
    void (store ?? Promise.resolve(null))
      .then(async (s) => {
        await stopCheckpoints?.();
        await s?.close();
      })
      .catch(() => {})
      .finally(() => port.close());
    return;
  }
  store ??= open();
  const rows = fromWireRows(m.fields, m.rows) as unknown as NewReview[];
  store
    .then((s) => insertReviews(s, rows, { ingestFile: m.file, products: m.products }))
    .then(
      (result) => port.postMessage({ id: m.id, result } satisfies WriterReply),
      (err: unknown) => port.postMessage({ id: m.id, error: toThreadError(err) } satisfies WriterReply),
    );
});
