import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/db.js';
import type { InsertResult, NewReview, ProductMeta } from '../store/reviews.js';
import { CHUNKS_IN_FLIGHT } from './window.js';
import { toWireRows, WIRE_FIELDS } from './wire.js';
import { fromThreadError, type WriterReply, type WriterRequest } from './writer-protocol.js';

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

/** The writer thread's module: in the build, beside this one (a run from the TypeScript sources has none). */
const WRITER_THREAD = new URL('./writer-thread.js', import.meta.url);

/**
 * A sink on the configured store (SQLite file or PostgreSQL), opened on the first write. The store modules (knex
 * and its drivers) are imported then too: `voc ingest` through the daemon never loads them.
 *
 * On SQLite the chunks are written by a thread of their own (writer-thread.ts): better-sqlite3's insert is
 * synchronous, and in one thread reading the file and inserting took turns (200,000 rows: 3.6-3.8 s in one
 * thread, 2.4-2.5 s with the writer thread). On PostgreSQL the insert is the server's work and this thread only
 * waits for it, so the chunks are written from here: a thread gained nothing there and cost 20-30 MB. Run from
 * the TypeScript sources (the tests), there is no thread module, and SQLite is written from here too, through the
 * same insertReviews.
 */
export function storeSink(config: Config): IngestSink {
  return !config.store.databaseUrl && existsSync(fileURLToPath(WRITER_THREAD)) ? threadSink(config) : inThreadSink(config);
}

function threadSink(config: Config): IngestSink {
  let worker: Worker | null = null;
  let exited: Promise<void> = Promise.resolve();
  let seq = 0;
  let closed = false;
  let failure: Error | null = null;
  const waiting = new Map<number, { resolve(r: InsertResult): void; reject(e: Error): void }>();
  const fail = (err: Error) => {
    failure ??= err;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  const start = () => {
    // a small young generation: the chunks pass through it once, and the default let it grow by 20-30 MB
    const w = new Worker(WRITER_THREAD, { workerData: { config }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    w.on('message', (m: WriterReply) => {
      const p = waiting.get(m.id);
      if (!p) return;
      waiting.delete(m.id);
      if ('error' in m) p.reject(fromThreadError(m.error));
      else p.resolve(m.result);
    });
    w.on('error', (err) => fail(err));
    exited = new Promise((resolve) =>
      w.once('exit', (code) => {
        fail(new Error(`the ingest writer thread ended (exit code ${code})`));
        resolve();
      }),
    );
    return w;
  };
  return {
    inFlight: CHUNKS_IN_FLIGHT,
    write(chunk) {
      if (closed) return Promise.reject(new Error('ingest sink is closed'));
      if (failure) return Promise.reject(failure);
      worker ??= start();
      const id = ++seq;
      const answered = new Promise<InsertResult>((resolve, reject) => waiting.set(id, { resolve, reject }));
      const req: WriterRequest = {
        kind: 'chunk',
        id,
        file: chunk.file,
        fields: WIRE_FIELDS,
        rows: toWireRows(chunk.rows),
        products: chunk.products,
      };
      worker.postMessage(req);
      return answered;
    },
    async close() {
      if (closed) return;
      closed = true;
      // the thread closes the store and ends (one that failed has ended, or is ending, already)
      worker?.postMessage({ kind: 'close' } satisfies WriterRequest);
      await exited;
    },
  };
}

function inThreadSink(config: Config): IngestSink {
  let store: Promise<Store> | null = null;
  let insert: Promise<typeof import('../store/insert.js').insertReviews> | null = null;
  let closed = false;
  return {
    // PostgreSQL inserts chunks side by side on pooled connections; SQLite takes them one after another anyway
    inFlight: CHUNKS_IN_FLIGHT,
    async write(chunk) {
      if (closed) throw new Error('ingest sink is closed');
      store ??= import('../store/db.js').then((m) => m.openStore(config));
      insert ??= import('../store/insert.js').then((m) => m.insertReviews);
      return (await insert)(await store, chunk.rows, { ingestFile: chunk.file, products: chunk.products });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (store) await (await store.catch(() => null))?.close();
    },
  };
}
