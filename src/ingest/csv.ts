import Papa from 'papaparse';
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
  const [best, n] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
  return n > 0 ? best : ',';
}

/** Newlines in text[from, to). */
function newlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

export interface CsvOptions {
  name: string;
  head: string;
  maxFieldLength: number;
  /** called with the header once, before any row: throws when the file cannot be used (no body column) */
  checkHeader(header: string[]): void;
}

/** papaparse's codes for a quote that never closes and for a stray quote inside a quoted field */
const MISSING_QUOTE = 'MissingQuotes';
const BAD_QUOTES = 'InvalidQuotes';

/**
 * CSV rows as records keyed by the header's column names, parsed with papaparse's core parser (indexOf-based, some
 * ten times faster than a character state machine on review text). Line numbers are physical (header = line 1),
 * counted from each record's extent in the text, so quoted fields with newlines keep later numbers right.
 *
 * The text arrives in chunks; each parse keeps the last, possibly cut, record as the carry for the next one. A
 * carry that keeps growing (an unclosed quote) waits for as much new text as it holds before it is parsed again,
 * so reading stays linear, and stops the file once it is longer than any record may be: the rows before it are
 * kept. A quote inside a quoted field that is not doubled makes that record a reject, with the lines it took.
 */
export async function* readCsv(text: AsyncIterable<string>, opts: CsvOptions): AsyncGenerator<RawItem> {
  const limit = maxRecordChars(opts.maxFieldLength);
  const delimiter = detectDelimiter(opts.head.split('\n', 1)[0]);
  let header: string[] | null = null;
  let line = 1;
  const out: RawItem[] = [];
  let brokenAt: number | null = null;
  // step mode: one call per record with the cursor just past it, so each record's extent (and lines) is known
  let input = '';
  let prev = 0;
  const parser = new Papa.Parser({
    delimiter,
    newline: '\n',
    quoteChar: '"',
    step: (r: Papa.ParseStepResult<string[]>) => {
      const record = (r.data as unknown as string[][])[0]; // the core parser passes a one-row batch
      const end = r.meta.cursor;
      const start = line;
      line += newlines(input, prev, end);
      prev = end;
      if (r.errors.some((e) => e.code === MISSING_QUOTE)) {
        brokenAt = start; // the unclosed record runs to the end of the text: nothing of it is kept
        return;
      }
      if (record.length === 1 && record[0].trim() === '') return;
      if (r.errors.some((e) => e.code === BAD_QUOTES)) {
        const span = line - start > 1 ? `lines ${start}-${line - 1}` : `line ${start}`;
        out.push({
          kind: 'reject',
          line: start,
          field: '(row)',
          reason: `a quote inside a quoted field is not doubled (${span})`,
          row: record,
        });
        return;
      }
      if (header === null) {
        header = record.map((h) => h.trim());
        if (header.every((h) => h === '')) throw unreadable(opts.name, 'the header line is empty');
        opts.checkHeader(header);
        return;
      }
      if (record.length !== header.length) {
        out.push({
          kind: 'reject',
          line: start,
          field: '(row)',
          reason: `${record.length} fields, the header has ${header.length}`,
          row: record,
        });
        return;
      }
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) obj[header[i]] = record[i];
      out.push({ kind: 'record', record: obj, line: start });
    },
  } as Papa.ParseConfig);

  /** Parse `carry + fresh`; complete records go to `out`; returns the rest, the carry. */
  const parse = (carry: string, fresh: string, last: boolean): string => {
    input = carry + fresh;
    prev = 0;
    const r = parser.parse(input, 0, !last) as unknown as Papa.ParseResult<string[]>;
    return last ? '' : input.slice(r.meta.cursor);
  };

  let carry = '';
  let fresh = '';
  for await (const chunk of text) {
    fresh += chunk;
    if (carry.length + fresh.length > limit)
      throw new StreamBroken(`CSV breaks at line ${line}: a record longer than ${limit} characters (an unclosed quote?)`, line);
    // a long carry is parsed again only once as much new text has come: linear even for one huge record
    if (carry.length > 1 << 20 && fresh.length < carry.length) continue;
    carry = parse(carry, fresh, false);
    fresh = '';
    yield* out.splice(0);
  }
  parse(carry, fresh, true);
  yield* out.splice(0);
  if (brokenAt !== null) throw new StreamBroken(`CSV breaks at line ${brokenAt}: a quoted field is never closed`, brokenAt);
  if (header === null) throw unreadable(opts.name, 'has no header line');
}
