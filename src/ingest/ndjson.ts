import { maxRecordChars, type RawItem } from './types.js';
import { errorMessage } from '../errors.js';

/** One JSON object per line. A broken line is a reject for that line only; reading goes on. */
export async function* readNdjson(text: AsyncIterable<string>, opts: { maxFieldLength: number }): AsyncGenerator<RawItem> {
  const limit = maxRecordChars(opts.maxFieldLength);
  let carry = '';
  let line = 0;
  let skipping = false; // inside an over-long line: drop text until its newline
  const one = (s: string, n: number): RawItem | null => {
    if (s.trim() === '') return null;
    try {
      const v = JSON.parse(s);
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        return { kind: 'reject', line: n, field: '(line)', reason: 'not a JSON object', row: v };
      return { kind: 'record', record: v as Record<string, unknown>, line: n };
    } catch (err) {
      return { kind: 'reject', line: n, field: '(line)', reason: `not valid JSON: ${errorMessage(err).slice(0, 120)}`, row: s };
    }
  };
  for await (const chunk of text) {
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
      line++;
      const piece = chunk.slice(from, nl);
      from = nl + 1;
      if (skipping) {
        skipping = false;
        carry = '';
        continue;
      }
      const item = one(carry === '' ? piece : carry + piece, line);
      carry = '';
      if (item) yield item;
    }
    if (!skipping) {
      carry += chunk.slice(from);
      if (carry.length > limit) {
        yield { kind: 'reject', line: line + 1, field: '(line)', reason: `longer than ${limit} characters` };
        skipping = true;
        carry = '';
      }
    }
  }
  if (!skipping && carry !== '') {
    const item = one(carry, line + 1);
    if (item) yield item;
  }
}
