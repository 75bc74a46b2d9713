import { parse } from 'csv-parse';
import { unreadable } from './source.js';
import { StreamBroken, maxRecordChars, type RawItem } from './types.js';

/** `,`, `;` or tab: whichever occurs most in the header line, outside quotes. */
export function detectDelimiter(headerLine: string): string {
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch in counts) counts[ch]++;
  }
  return Object.entries(counts).sort((a, b) => b[1] - a[1])[0][1] > 0 ? Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0] : ',';
}

function newlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export interface CsvOptions {
  name: string;
  head: string;
  maxFieldLength: number;
  /** called with the header once, before any row: throws when the file cannot be used (no body column) */
  checkHeader(header: string[]): void;
}

/**
 * CSV rows as records keyed by the header's column names. Line numbers are physical (header = line 1), counted
 * from each record's raw text, so quoted fields with newlines keep later numbers right.
 */
export async function* readCsv(text: AsyncIterable<string>, opts: CsvOptions): AsyncGenerator<RawItem> {
  const delimiter = detectDelimiter(opts.head.split('\n', 1)[0]);
  const parser = parse({
    delimiter,
    raw: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: maxRecordChars(opts.maxFieldLength),
  });
  // Fed by hand, not async-iterated: an iterator drops the records already parsed when the stream errors, and
  // the rows before an unclosed quote must be kept. Each text chunk is drained before the next is written.
  const queue: Array<{ record: string[]; raw: string }> = [];
  let failure: (Error & { code?: string }) | null = null;
  parser.on('data', (r: { record: string[]; raw: string }) => queue.push(r));
  parser.on('error', (err: Error) => {
    failure ??= err;
  });
  const ended = new Promise<void>((resolve) => parser.once('end', resolve).once('close', resolve));
  let header: string[] | null = null;
  let line = 1;
  function* rows(): Generator<RawItem> {
    for (const { record, raw } of queue.splice(0)) {
      const start = line;
      line += newlines(raw);
      if (record.length === 1 && record[0].trim() === '') continue;
      if (header === null) {
        header = record.map((h) => h.trim());
        if (header.every((h) => h === '')) throw unreadable(opts.name, 'the header line is empty');
        opts.checkHeader(header);
        continue;
      }
      if (record.length !== header.length) {
        yield { kind: 'reject', line: start, field: '(row)', reason: `${record.length} fields, the header has ${header.length}` };
        continue;
      }
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) obj[header[i]] = record[i];
      yield { kind: 'record', record: obj, line: start };
    }
  }
  try {
    for await (const chunk of text) {
      await new Promise<void>((resolve) => parser.write(chunk, () => resolve()));
      await new Promise((resolve) => setImmediate(resolve)); // let the parser deliver what it pushed
      yield* rows();
      if (failure) break;
    }
    if (!failure) {
      parser.end();
      await ended;
    }
    yield* rows();
  } finally {
    parser.destroy();
  }
  if (failure) {
    const e = failure as Error & { code?: string };
    if (typeof e.code === 'string' && e.code.startsWith('CSV_')) {
      const why =
        e.code === 'CSV_MAX_RECORD_SIZE'
          ? `a record longer than ${maxRecordChars(opts.maxFieldLength)} characters (an unclosed quote?)`
          : e.message;
      throw new StreamBroken(`CSV breaks after line ${line - 1}: ${why}`, line);
    }
    throw e;
  }
  if (header === null) throw unreadable(opts.name, 'has no header line');
}
