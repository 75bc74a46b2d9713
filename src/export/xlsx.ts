import { once, type EventEmitter } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import type { Cell, Row } from './text.js';

/**
 * An Excel workbook written with exceljs's streaming writer: each row is serialised and handed to the zip as it
 * comes, so memory stays flat however many reviews there are. Every stored string is written as a string cell
 * (never a formula), so `=HYPERLINK(...)` in a review stays text; dates are Excel dates, ratings numbers.
 */
export type ColumnKind = 'text' | 'long' | 'number' | 'date';

export interface Column {
  field: string;
  kind: ColumnKind;
  /** in characters, as Excel measures them */
  width: number;
}

export interface Sheet {
  name: string;
  columns: Column[];
  rows: AsyncIterable<Row>;
}

export interface WorkbookResult {
  /** data rows written per sheet, in order */
  rows: number[];
  /** cells cut to Excel's limit of 32,767 characters */
  truncated: number;
}

const EXCEL_MAX_CHARS = 32767;
/** A lone surrogate is not valid XML: Excel would "repair" the whole sheet. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const STYLE: Record<ColumnKind, Partial<ExcelJS.Style>> = {
  text: { alignment: { vertical: 'top' } },
  long: { alignment: { vertical: 'top', wrapText: true } },
  number: { alignment: { vertical: 'top' }, numFmt: '0' },
  date: { alignment: { vertical: 'top' }, numFmt: 'yyyy-mm-dd' },
};

/** Column letters for the autofilter range: 1 -> A, 27 -> AA. */
function letters(n: number): string {
  let s = '';
  for (; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/**
 * Back-pressure the writer does not give: a committed row goes to the sheet's buffer stream, which exceljs pipes
 * into the zip's entry stream (a readable-stream PassThrough) without looking at write()'s answer, so rows made
 * faster than the zip compresses would pile up in memory (measured: +0.3 KB per row). This finds that entry
 * stream (exceljs 4.4.0's shape, pinned; a test checks it is still there).
 */
export function entryStream(ws: ExcelJS.Worksheet): (EventEmitter & { _writableState: { needDrain: boolean } }) | null {
  const entry = (ws as unknown as { stream?: { pipes?: Array<{ _writableState?: { needDrain?: unknown } }> } }).stream?.pipes?.[0];
  return entry && typeof entry._writableState?.needDrain === 'boolean'
    ? (entry as unknown as EventEmitter & { _writableState: { needDrain: boolean } })
    : null;
}

/** Wait until the zip has taken what was written; without the entry stream, at least give it a turn. */
async function drained(ws: ExcelJS.Worksheet): Promise<void> {
  const entry = entryStream(ws);
  if (!entry) return new Promise((resolve) => setImmediate(resolve));
  while (entry._writableState.needDrain) await once(entry, 'drain');
}

/** Write `sheets` in order to `file` (through a temporary file, so a reader never opens half a workbook). */
export async function writeWorkbook(file: string, sheets: Sheet[]): Promise<WorkbookResult> {
  const tmp = `${file}.${process.pid}.tmp`;
  const result: WorkbookResult = { rows: [], truncated: 0 };
  const value = (v: Cell, kind: ColumnKind): ExcelJS.CellValue => {
    if (v === null || v === undefined || v === '') return null;
    if (kind === 'number') return Number(v);
    if (kind === 'date') {
      // stored as YYYY-MM-DD; UTC midnight is a whole Excel day in every time zone
      const t = Date.parse(`${String(v)}T00:00:00Z`);
      return Number.isFinite(t) ? new Date(t) : String(v);
    }
    let s = String(v).replace(LONE_SURROGATE, '\uFFFD');
    if (s.length > EXCEL_MAX_CHARS) {
      result.truncated++;
      s = `${s.slice(0, EXCEL_MAX_CHARS - 1)}…`;
    }
    return s;
  };
  try {
    // shared strings would keep every distinct string in memory until the end: inline strings keep it flat
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: tmp, useStyles: true, useSharedStrings: false });
    wb.creator = 'voc';
    for (const sheet of sheets) {
      const ws = wb.addWorksheet(sheet.name, { views: [{ state: 'frozen', ySplit: 1 }] });
      ws.columns = sheet.columns.map((c) => ({ key: c.field, width: c.width, style: STYLE[c.kind] }));
      const header = ws.addRow(sheet.columns.map((c) => c.field));
      header.font = { bold: true };
      header.alignment = { vertical: 'top' };
      header.commit();
      let n = 0;
      for await (const r of sheet.rows) {
        ws.addRow(sheet.columns.map((c) => value(r[c.field], c.kind))).commit();
        if (++n % 200 === 0) await drained(ws);
      }
      ws.autoFilter = `A1:${letters(sheet.columns.length)}${n + 1}`;
      // one sheet at a time: the zip takes entries in order, so a second open sheet would buffer whole
      ws.commit();
      result.rows.push(n);
    }
    await wb.commit();
    await rename(tmp, file);
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
