import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { entryStream } from '../../src/export/xlsx.js';

describe('xlsx writer back-pressure', () => {
  it('finds the zip entry stream behind a streamed sheet, so a large export waits for the zip instead of piling up', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'voc-xlsx-bp-'));
    try {
      const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path.join(dir, 'x.xlsx'), useSharedStrings: false });
      const ws = wb.addWorksheet('S');
      const entry = entryStream(ws);
      // if an exceljs upgrade moves this, the writer falls back to yielding and memory grows with the export
      expect(entry).not.toBeNull();
      // with nobody reading yet, enough rows fill the entry stream and it asks the writer to wait
      for (let i = 0; i < 2000 && !entry!._writableState.needDrain; i++) ws.addRow([`row ${i} `.repeat(20)]).commit();
      expect(entry!._writableState.needDrain).toBe(true);
      ws.commit();
      await wb.commit();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
