import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor } from '../cli/options.js';
import { VocError } from '../errors.js';
import { openStore, type Store } from '../store/db.js';
import { learnState, noSuchProduct } from '../store/labels.js';
import { isIsoDate } from '../report/scope.js';
import { EXPORT_FIELDS, exportRows, type ExportScope } from '../translate/export.js';
import { hasAnalysis, insightExportRows, INSIGHT_FIELDS, themeExportRows, THEME_FIELDS } from '../analysis/export.js';
import { exportText, type Row, type TextFormat } from '../export/text.js';
import { INSIGHT_SHEET, REVIEW_SHEET, THEME_SHEET } from '../export/sheets.js';
import { writeWorkbook, type Sheet } from '../export/xlsx.js';

export interface ExportOptions {
  product?: string;
  all?: boolean;
  since?: string;
  format?: string;
  out?: string;
  /** one row per insight instead of per review */
  insights?: boolean;
  /** one row per 5W tag instead of per review */
  themes?: boolean;
  bom?: boolean;
  raw?: boolean;
}

type ExportFormat = TextFormat | 'xlsx';
const FORMATS: ExportFormat[] = ['csv', 'ndjson', 'json', 'xlsx'];

function check(o: ExportOptions): ExportFormat {
  const format = (o.format ?? 'csv') as ExportFormat;
  if (!FORMATS.includes(format)) throw new VocError('USAGE', `--format must be one of ${FORMATS.join(', ')}, got "${o.format}"`);
  if (!o.product && !o.all) throw new VocError('USAGE', 'say which reviews: --product ID or --all');
  if (o.product && o.all) throw new VocError('USAGE', 'give either --product or --all, not both');
  if (o.since !== undefined && !isIsoDate(o.since)) throw new VocError('USAGE', `--since must be a date as YYYY-MM-DD, got "${o.since}"`);
  if (o.insights && o.themes) throw new VocError('USAGE', 'give either --insights or --themes, not both');
  if ((o.bom || o.raw) && format !== 'csv')
    throw new VocError('USAGE', `--${o.bom ? 'bom' : 'raw'} applies to CSV only, not --format ${format}`);
  if (format === 'xlsx' && !o.out)
    throw new VocError('USAGE', 'an xlsx workbook is a file: give --out FILE', {
      hint: 'e.g. voc export --all --format xlsx --out reviews.xlsx',
    });
  return format;
}

/** Count rows as they pass, for the return value and the "nothing found" note. */
async function* counted<T>(rows: AsyncIterable<T>, tally: { n: number }): AsyncGenerator<T> {
  for await (const r of rows) {
    tally.n++;
    yield r;
  }
}

/** The sheets of a workbook: the chosen table alone, or the reviews with whatever analysis the scope has. */
async function sheetsFor(store: Store, o: ExportOptions, scope: ExportScope, tally: { n: number }): Promise<Sheet[]> {
  if (o.insights) return [{ ...INSIGHT_SHEET, rows: counted(insightExportRows(store, scope), tally) }];
  if (o.themes) return [{ ...THEME_SHEET, rows: counted(themeExportRows(store, scope), tally) }];
  const sheets: Sheet[] = [{ ...REVIEW_SHEET, rows: counted(exportRows(store, scope), tally) }];
  if (await hasAnalysis(store, 'insights', scope)) sheets.push({ ...INSIGHT_SHEET, rows: insightExportRows(store, scope) });
  if (await hasAnalysis(store, 'themes', scope)) sheets.push({ ...THEME_SHEET, rows: themeExportRows(store, scope) });
  return sheets;
}

async function writeText(
  store: Store,
  o: ExportOptions,
  format: TextFormat,
  scope: ExportScope,
  tally: { n: number },
  out: Writable,
): Promise<void> {
  const [fields, rows]: [readonly string[], AsyncIterable<Row>] = o.insights
    ? [INSIGHT_FIELDS, insightExportRows(store, scope)]
    : o.themes
      ? [THEME_FIELDS, themeExportRows(store, scope)]
      : [EXPORT_FIELDS, exportRows(store, scope)];
  for await (const chunk of exportText(fields, counted(rows, tally), format, { bom: o.bom, raw: o.raw })) {
    // respect back-pressure: a slow pipe never makes the whole export pile up in memory
    if (!out.write(chunk)) await once(out, 'drain');
  }
}

/**
 * Stream reviews with their translations, or their insights or 5W tags, from the store (no daemon needed) to a
 * file or stdout; returns the rows written (reviews, or insight/theme rows with --insights/--themes).
 */
export async function runExport(options: ExportOptions, deps: { config: Config; stdout?: Writable }): Promise<number> {
  const format = check(options);
  const scope: ExportScope = { productId: options.product ?? null, since: options.since ?? null };
  const store = await openStore(deps.config);
  const tally = { n: 0 };
  try {
    // an id the store does not hold (a typo, another case) is an error, not an empty export that looks like one
    if (options.product && !(await learnState(store, options.product))) throw noSuchProduct(options.product);
    if (format === 'xlsx') {
      const r = await writeWorkbook(options.out!, await sheetsFor(store, options, scope, tally));
      if (r.truncated)
        process.stderr.write(
          `voc: ${r.truncated} cells were longer than Excel's 32,767 characters and were cut; CSV and NDJSON keep them whole\n`,
        );
    } else {
      const out: Writable = options.out ? createWriteStream(options.out) : (deps.stdout ?? process.stdout);
      try {
        await writeText(store, options, format, scope, tally, out);
      } finally {
        if (options.out) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      }
    }
  } finally {
    await store.close();
  }
  if (options.product && tally.n === 0) {
    const what = options.insights ? 'insights' : options.themes ? '5W tags' : 'reviews';
    process.stderr.write(
      `voc: no ${what} stored for product ${options.product}${options.since ? ` dated on or after ${options.since}` : ''}\n`,
    );
  }
  return tally.n;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'write stored reviews with their translations (or their insights / 5W tags) as CSV, NDJSON, JSON or an Excel workbook, streamed (no daemon needed)',
    )
    .option('--product <id>', 'reviews of one product')
    .option('--all', 'every stored review')
    .option('--since <date>', 'only reviews dated on or after YYYY-MM-DD')
    .option('--format <format>', 'csv, ndjson, json or xlsx', 'csv')
    .option('--out <file>', 'write to FILE instead of standard output (required for xlsx)')
    .option('--insights', "one row per insight: dimension, type, sentiment, quote, Chinese summary, with the review's rating and date")
    .option('--themes', "one row per 5W tag: who/what/when/where/why, tag and learned label, with the review's rating and date")
    .option('--bom', 'CSV: start with a UTF-8 byte-order mark so Excel on Windows shows Chinese correctly')
    .option('--raw', "CSV: keep cells starting with = + - @ tab or CR as they are (by default they get a leading ')")
    .action(async (opts: ExportOptions, cmd: Command) => {
      await runExport(opts, { config: configFor(cmd) });
    });
}
