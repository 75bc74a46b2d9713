// Loader hooks for `node --import <this file>`: every module URL the program resolves is appended to the file
// named by VOC_MODULE_TRACE, one per line. Tests use it to check what a command loads (behaviour, not timing).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

let file = null;

export function initialize(data) {
  file = data?.file ?? null;
}

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (file) appendFileSync(file, r.url + '\n');
  return r;
}

// imported by --import on the main thread: install this same file as the hooks
if (isMainThread && process.env.VOC_MODULE_TRACE) register(import.meta.url, { data: { file: process.env.VOC_MODULE_TRACE } });
