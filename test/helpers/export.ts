import { PassThrough } from 'node:stream';
import { runExport } from '../../src/commands/export.js';
import type { TestDb } from './databases.js';

/** What `voc export` would print to standard output, as one string. */
export async function exportToString(db: TestDb, opts: Parameters<typeof runExport>[0]): Promise<string> {
  const sink = new PassThrough();
  const parts: Buffer[] = [];
  sink.on('data', (c: Buffer) => parts.push(c));
  await runExport(opts, { config: db.config, stdout: sink });
  return Buffer.concat(parts).toString('utf8');
}
