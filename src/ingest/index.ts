import path from 'node:path';
import type { Config } from '../config/schema.js';
import { resolveColumns, unmatchedMappings } from './columns.js';
import { readCsv } from './csv.js';
import { readJson } from './json.js';
import { readNdjson } from './ndjson.js';
import { openSource, unreadable } from './source.js';
import { toReview } from './validate.js';
import { StreamBroken, type Format, type RawItem, type ReadItem } from './types.js';
import { errorMessage } from '../errors.js';

export type { Format, ReadItem } from './types.js';
export { toReview } from './validate.js';
export { parseMapping } from './columns.js';

export interface ReadOptions {
  config: Config;
  /** forced format; otherwise the extension, then the content, decides */
  format?: Format;
  /** forced encoding (iconv-lite name); otherwise BOM / UTF-8 / GBK detection */
  encoding?: string;
  mapping?: Record<string, string>;
  product?: string | null;
  /** standard input for `-` (tests pass their own) */
  stdin?: NodeJS.ReadableStream;
  /** bytes between two progress items */
  progressEvery?: number;
}

/** Extension first (a `.gz` suffix is looked through), then the first characters of the text. */
export function guessFormat(source: string, head: string): Format {
  const ext = path.extname(source.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  const t = head.replace(/^\ufeff/, '').trimStart();
  if (t.startsWith('[')) return 'json';
  if (t.startsWith('{')) {
    const firstLine = t.split('\n', 1)[0];
    try {
      const v = JSON.parse(firstLine);
      // a one-line {"reviews": [...]} is a JSON document, any other complete first line is NDJSON
      return v && typeof v === 'object' && Object.keys(v).some((k) => k.toLowerCase() === 'reviews') ? 'json' : 'ndjson';
    } catch {
      return 'json';
    }
  }
  if (ext === '.json') return 'json';
  return 'csv';
}

/**
 * Stream one source (a path, or `-` for stdin) as validated reviews and rejects, in file order. Throws a
 * VocError (exit 1) when the file cannot be read at all; a stream that breaks after good rows ends with one
 * reject naming the file and the position instead, so every good row before it is kept.
 */
export async function* readReviews(source: string, opts: ReadOptions): AsyncGenerator<ReadItem> {
  const src = await openSource(source, { encoding: opts.encoding, stdin: opts.stdin });
  const format = opts.format ?? guessFormat(source, src.head);
  const maxFieldLength = opts.config.ingest.maxFieldLength;
  let product = opts.product ?? null;
  let raw: AsyncIterable<RawItem>;
  if (format === 'csv') {
    raw = readCsv(src.text, {
      name: src.name,
      head: src.head,
      maxFieldLength,
      checkHeader: (header) => {
        const cols = resolveColumns(header, opts.mapping);
        const shown = header
          .slice(0, 12)
          .map((h) => JSON.stringify(h))
          .join(', ');
        const [unmatched] = unmatchedMappings(header, opts.mapping);
        if (unmatched)
          throw unreadable(
            src.name,
            `--map ${unmatched[0]}=${unmatched[1]}: no column ${JSON.stringify(unmatched[1])} (columns: ${shown})`,
          );
        if (cols.body === undefined) throw unreadable(src.name, `no body column (columns: ${shown})`, 'name it with --map body=COLUMN');
        if (cols.productId === undefined && !product)
          throw unreadable(src.name, `no product column (columns: ${shown})`, 'name it with --map product=COLUMN or give --product ID');
      },
    });
  } else if (format === 'json') raw = readJson(src.text, { name: src.name, maxFieldLength });
  else raw = readNdjson(src.text, { maxFieldLength });

  const every = opts.progressEvery ?? 256 * 1024;
  let reported = src.bytesRead();
  let seen = 0;
  yield { kind: 'progress', bytes: reported, totalBytes: src.totalBytes };
  if (src.guessedEncoding)
    yield { kind: 'notice', file: src.name, text: `read as ${src.guessedEncoding} (guessed from its text; --encoding NAME to choose)` };
  try {
    for await (const item of raw) {
      seen++;
      if (item.kind === 'record') {
        const r = toReview(item.record, { config: opts.config, file: src.name, line: item.line, mapping: opts.mapping, product });
        if (r.ok) yield r.warning ? { kind: 'review', review: r.review, warning: r.warning } : { kind: 'review', review: r.review };
        else yield { kind: 'reject', file: src.name, line: item.line, field: r.field, reason: r.reason, row: item.record };
      } else if (item.kind === 'reject') {
        yield { kind: 'reject', file: src.name, line: item.line, field: item.field, reason: item.reason, row: item.row };
      } else {
        product ??= item.product.id;
        yield item;
      }
      if (src.bytesRead() - reported >= every) {
        reported = src.bytesRead();
        yield { kind: 'progress', bytes: reported, totalBytes: src.totalBytes };
      }
    }
  } catch (err) {
    if (err instanceof StreamBroken) {
      if (seen === 0) throw unreadable(src.name, err.message);
      yield { kind: 'reject', file: src.name, line: err.line, field: '(file)', reason: `${err.message}; the rows before it are kept` };
    } else if ((err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' || (err as NodeJS.ErrnoException).code === 'Z_DATA_ERROR') {
      if (seen === 0) throw unreadable(src.name, `corrupt gzip data: ${errorMessage(err)}`);
      yield {
        kind: 'reject',
        file: src.name,
        line: 0,
        field: '(file)',
        reason: `corrupt gzip data after ${seen} records: ${errorMessage(err)}; the rows before it are kept`,
      };
    } else throw err;
  }
  const invalid = src.invalidBytes();
  if (invalid > 0) {
    const enc = src.guessedEncoding ?? (src.encoding === 'utf8' ? 'UTF-8' : src.encoding);
    yield {
      kind: 'notice',
      file: src.name,
      text: `${invalid} byte sequence${invalid === 1 ? ' was' : 's were'} not valid ${enc} and read as \ufffd (rows of another encoding?); --encoding NAME reads the file in another one`,
    };
  }
  yield { kind: 'progress', bytes: src.bytesRead(), totalBytes: src.totalBytes };
}
