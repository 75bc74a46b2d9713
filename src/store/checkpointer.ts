import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Store } from './db.js';

/** The thread: its own connection to the file, a passive checkpoint on a timer and a last one when told to stop. */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('journal_size_limit = ' + workerData.limitBytes);
const checkpoint = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    // a writer that never pauses (an ingest) keeps appending while a passive checkpoint copies, so the log is never
    // all copied and never starts over: past the limit, a RESTART finishes the few frames left, holding new writes
    // for as long as that takes, and the next write starts the log from its beginning
    if (r && r.log * workerData.pageBytes > workerData.limitBytes) db.pragma('wal_checkpoint(RESTART)');
  } catch {}
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * How large the write-ahead log may grow: a 200,000-row ingest, whose commits never pause for a passive checkpoint
 * to catch up, left a 359 MB log beside a 129 MB database before the limit.
 */
export const WAL_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * SQLite copies its write-ahead log into the database file from the connection that commits, inside the COMMIT:
 * every ~1,000 pages a copy and two fsyncs, 10-100 ms in which the daemon's event loop stands still (a backlog run
 * at 200 calls/s did hundreds of them). The daemon runs these checkpoints in a thread of its own, on a connection of
 * its own, and its main connection no longer does them. Should the thread end early, the main connection takes
 * them over again. Returns the stop function (a last checkpoint, then the thread ends).
 */
export async function checkpointInThread(
  store: Store,
  file: string,
  everyMs = 1000,
  limitBytes = WAL_LIMIT_BYTES,
): Promise<() => Promise<void>> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  await store.knex.raw('PRAGMA wal_autocheckpoint = 0');
  // the log file is cut back to this size when it starts over (it keeps its largest size otherwise)
  await store.knex.raw(`PRAGMA journal_size_limit = ${limitBytes}`);
  const [{ page_size: pageBytes }] = (await store.knex.raw('PRAGMA page_size')) as Array<{ page_size: number }>;
  const worker = new Worker(THREAD, { eval: true, workerData: { driver, file, everyMs, limitBytes, pageBytes } });
  let stopping = false;
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const fallBack = () => {
    if (!stopping) void store.knex.raw('PRAGMA wal_autocheckpoint = 1000').catch(() => {});
  };
  worker.once('error', fallBack);
  worker.once('exit', fallBack);
  worker.unref();
  return async () => {
    if (stopping) return ended;
    stopping = true;
    worker.postMessage('stop');
    const late = setTimeout(() => void worker.terminate(), 5000);
    await ended;
    clearTimeout(late);
  };
}
