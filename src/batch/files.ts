import { createWriteStream, mkdirSync, openAsBlob, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { DaemonContext } from '../context.js';
import type { BatchApi } from '../llm/types.js';
import { eachLinePage, type BatchRow } from '../store/batches.js';
import type { BatchHandler } from './types.js';

/**
 * A batch file goes through the disk both ways: the JSONL is written a page of lines at a time (each page's requests
 * built from the store, then dropped) and uploaded from the file; output and error files are streamed down to a file
 * and read back a line at a time. Memory stays at a page, whatever the size of the batch (the provider takes up to
 * 50,000 requests or 100 MB per file). Files live under the home (they hold review text) and are removed after use.
 */
const PAGE_LINES = 500;

const dirOf = (home: string) => path.join(home, 'batches');

export function batchDir(ctx: DaemonContext): string {
  const dir = dirOf(ctx.config.home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Files left by a daemon killed while one was on disk (they hold review text): removed when the next daemon of the
 * home starts, before any batch work. One daemon per home (the pid lock), and every file is rebuilt or downloaded
 * again when its batch resumes, so none of them is needed. Returns how many were removed.
 */
export function sweepBatchFiles(home: string): number {
  let names: string[];
  try {
    names = readdirSync(dirOf(home));
  } catch {
    return 0; // no batch ever ran here
  }
  for (const n of names) rmSync(path.join(dirOf(home), n), { force: true, recursive: true });
  return names.length;
}

/** A temporary file of the batch, removed by `use`'s end whatever happens. */
export async function withTempFile<T>(ctx: DaemonContext, name: string, use: (file: string) => Promise<T>): Promise<T> {
  const file = path.join(batchDir(ctx), name);
  try {
    return await use(file);
  } finally {
    rmSync(file, { force: true });
  }
}

/** Write the row's JSONL file page by page, with backpressure; returns the bytes written. */
export async function writeBatchFile(
  ctx: DaemonContext,
  api: BatchApi,
  row: BatchRow,
  handler: BatchHandler,
  file: string,
): Promise<number> {
  const out = createWriteStream(file, { mode: 0o600 });
  const closed = once(out, 'close');
  let bytes = 0;
  try {
    for await (const page of eachLinePage(ctx.store, row.id, { pageSize: PAGE_LINES })) {
      const requests = await handler.requests(page);
      for (let i = 0; i < page.length; i++) {
        const line = api.line(page[i].custom_id, requests[i]) + '\n';
        bytes += Buffer.byteLength(line);
        if (!out.write(line)) await once(out, 'drain');
      }
    }
  } catch (err) {
    out.destroy();
    throw err;
  }
  out.end();
  await closed;
  return bytes;
}

/** Build the file and upload it from the disk. */
export async function uploadBatchFile(
  ctx: DaemonContext,
  api: BatchApi,
  row: BatchRow,
  handler: BatchHandler,
  filename: string,
  o: { recover: boolean },
): Promise<string> {
  return withTempFile(ctx, filename, async (file) => {
    await writeBatchFile(ctx, api, row, handler, file);
    // recovering, the provider is asked first for a file of ours by this name: it is never uploaded twice
    return api.upload(filename, await openAsBlob(file, { type: 'application/jsonl' }), o);
  });
}
