import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor } from '../cli/options.js';
import { VocError } from '../errors.js';
import { openStore } from '../store/db.js';
import { exportRows, exportText, type ExportFormat } from '../translate/export.js';

export interface ExportOptions {
  product?: string;
  all?: boolean;
  format?: string;
  out?: string;
}

const FORMATS: ExportFormat[] = ['csv', 'ndjson', 'json'];

/** Stream reviews and their translations from the store (no daemon needed) to a file or stdout; returns rows written. */
export async function runExport(options: ExportOptions, deps: { config: Config; stdout?: Writable }): Promise<number> {
  const format = (options.format ?? 'csv') as ExportFormat;
  if (!FORMATS.includes(format)) throw new VocError('USAGE', `--format must be one of ${FORMATS.join(', ')}, got "${options.format}"`);
  if (!options.product && !options.all) throw new VocError('USAGE', 'say which reviews: --product ID or --all');
  if (options.product && options.all) throw new VocError('USAGE', 'give either --product or --all, not both');
  const store = await openStore(deps.config);
  const out: Writable = options.out ? createWriteStream(options.out) : (deps.stdout ?? process.stdout);
  let n = 0;
  try {
    const rows = exportRows(store, { productId: options.product ?? null });
    const counted = (async function* () {
      for await (const r of rows) {
        n++;
        yield r;
      }
    })();
    for await (const chunk of exportText(counted, format)) {
      // respect back-pressure: a slow pipe never makes the whole export pile up in memory
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } finally {
    if (options.out) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await store.close();
  }
  if (options.product && n === 0) process.stderr.write(`voc: no reviews stored for product ${options.product}\n`);
  return n;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write stored reviews with their translations as CSV, NDJSON or JSON, streamed (no daemon needed)')
    .option('--product <id>', 'reviews of one product')
    .option('--all', 'every stored review')
    .option('--format <format>', 'csv, ndjson or json', 'csv')
    .option('--out <file>', 'write to FILE instead of standard output')
    .action(async (opts: ExportOptions, cmd: Command) => {
      await runExport(opts, { config: configFor(cmd) });
    });
}
