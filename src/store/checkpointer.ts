import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Store } from './db.js';

/** The thread: its own connection to the file, a passive checkpoint on a timer and a last one when told to stop. */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
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
 * SQLite copies its write-ahead log into the database file from the connection that commits, inside the COMMIT:
 * every ~1,000 pages a copy and two fsyncs, 10-100 ms in which the daemon's event loop stands still (a backlog run
 * at 200 calls/s did hundreds of them). The daemon runs these checkpoints in a thread of its own, on a connection of
 * its own, and its main connection no longer does them. Should the thread end early, the main connection takes
 * them over again. Returns the stop function (a last checkpoint, then the thread ends).
 */
export async function checkpointInThread(store: Store, file: string, everyMs = 1000): Promise<() => Promise<void>> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  await store.knex.raw('PRAGMA wal_autocheckpoint = 0');
  const worker = new Worker(THREAD, { eval: true, workerData: { driver, file, everyMs } });
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
