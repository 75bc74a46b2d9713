/**
 * The text formats of `voc export`: CSV, NDJSON and JSON, one chunk per row so any size streams.
 * Review text is untrusted, and a spreadsheet runs a CSV cell that starts like a formula; CSV cells are
 * therefore neutralised the way OWASP recommends unless the user asks for the raw text.
 */
export type Cell = string | number | null;
export type Row = Record<string, Cell>;
export type TextFormat = 'csv' | 'ndjson' | 'json';

/** UTF-8 byte-order mark: without it Excel on Windows reads a CSV in the local code page and shows Chinese as mojibake. */
export const BOM = '\uFEFF';

/** What Excel, LibreOffice and Google Sheets read as the start of a formula (OWASP "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A string cell that would be read as a formula gets a leading `'`, which the spreadsheet shows as text. */
export function neutralise(v: Cell): Cell {
  return typeof v === 'string' && FORMULA_START.test(v) ? `'${v}` : v;
}

/** RFC 4180: quote fields with a comma, quote or line break; double the quotes. */
export function csvCell(v: Cell, raw = false): string {
  if (v === null || v === undefined) return '';
  const s = String(raw ? v : neutralise(v));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface TextOptions {
  /** CSV only: start with the UTF-8 byte-order mark */
  bom?: boolean;
  /** CSV only: write cells exactly as stored, formula-looking ones included */
  raw?: boolean;
}

/** Text chunks of the export in the chosen format: header/opening, one per row, closing. */
export async function* exportText(
  fields: readonly string[],
  rows: AsyncIterable<Row>,
  format: TextFormat,
  o: TextOptions = {},
): AsyncGenerator<string> {
  if (format === 'csv') yield (o.bom ? BOM : '') + fields.join(',') + '\r\n';
  if (format === 'json') yield '[';
  let first = true;
  for await (const r of rows) {
    if (format === 'csv') yield fields.map((f) => csvCell(r[f], o.raw)).join(',') + '\r\n';
    else if (format === 'ndjson') yield JSON.stringify(r) + '\n';
    else {
      yield (first ? '\n' : ',\n') + JSON.stringify(r);
      first = false;
    }
  }
  if (format === 'json') yield first ? ']\n' : '\n]\n';
}
