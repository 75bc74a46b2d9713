import { createWriteStream, type WriteStream } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { isInteractive } from '../cli/output.js';
import { VocError, errorMessage } from '../errors.js';
import { parseMapping, readReviews, type Format } from '../ingest/index.js';
import { barProgress, lineProgress, type IngestProgress, type Writer } from '../ingest/progress.js';
import { storeSink, type IngestSink } from '../ingest/sink.js';
import { ChunkWindow } from '../ingest/window.js';
import { connectDaemon, daemonSink } from '../daemon/client.js';
import type { InsertResult, NewReview, ProductMeta } from '../store/reviews.js';
import { AnalysisEstimator } from '../analysis/estimate.js';

export interface IngestOptions {
  files: string[];
  format?: string;
  encoding?: string;
  /** `--map FIELD=COLUMN`, repeatable */
  map?: string[];
  product?: string;
  /** write every reject (and conflict) to this file, one JSON line each */
  rejects?: string;
  strict?: boolean;
  json?: boolean;
}

export interface IngestDeps {
  config: Config;
  sink: IngestSink;
  stdout: Writer;
  stderr: Writer;
  /** progress bar (true) or plain lines (false); default: whether stdout is a terminal */
  interactive?: boolean;
  stdin?: NodeJS.ReadableStream;
}

export interface IngestSummary {
  files: number;
  rows: number;
  inserted: number;
  duplicates: number;
  rejected: number;
  /** rows stored with a warning (a review_date that is not a date, left out; bytes that were not text), each named like a reject */
  warnings: number;
  /** files whose text broke off (cut-off JSON, an unclosed quote, corrupt gzip): the rows before the break are kept */
  truncated: number;
  conflicts: number;
  /** products this run stored for the first time */
  newProducts: number;
  /** what learning the new products with enough reviews would take (it runs when analysis is asked for) */
  learning: { products: number; calls: number; cost: number | null; currency: string; automatic: boolean };
  /** files that could not be read at all (missing, a directory, binary, no body column...): the others were */
  unreadable: Array<{ file: string; reason: string }>;
}

const SHOWN = 10;
const FORMATS: Format[] = ['csv', 'json', 'ndjson'];

/** ids, hashes, product, date, author, class, numbers and the JSON around them, with room to spare */
const ROW_OVERHEAD_BYTES = 512;

/**
 * The send of one chunk, in a scope of its own: the acknowledgement (a closure of runIngest) keeps the row count,
 * not the rows, so a sink that serialises a chunk (the daemon's) lets its rows go as soon as it has sent them.
 */
function writeOnce(sink: IngestSink, chunk: Parameters<IngestSink['write']>[0]): () => Promise<InsertResult> {
  return () => sink.write(chunk);
}

/** Read every source, send chunks of config.ingest.chunkSize rows to the sink, report rejects and one summary. */
export async function runIngest(options: IngestOptions, deps: IngestDeps): Promise<IngestSummary> {
  if (options.files.length === 0) throw new VocError('USAGE', 'give at least one FILE, or - for standard input');
  if (options.format && !FORMATS.includes(options.format as Format)) {
    throw new VocError('USAGE', `--format must be one of ${FORMATS.join(', ')}, got "${options.format}"`);
  }
  let mapping: Record<string, string>;
  try {
    mapping = parseMapping(options.map);
  } catch (err) {
    throw new VocError('USAGE', errorMessage(err));
  }
  const { config, sink, stderr } = deps;
  const interactive = deps.interactive ?? isInteractive();
  const progress: IngestProgress = interactive ? barProgress() : lineProgress(stderr);
  const rejectsOut: WriteStream | null = options.rejects ? createWriteStream(options.rejects) : null;
  const summary: IngestSummary = {
    files: 0,
    rows: 0,
    inserted: 0,
    duplicates: 0,
    rejected: 0,
    warnings: 0,
    truncated: 0,
    conflicts: 0,
    newProducts: 0,
    learning: { products: 0, calls: 0, cost: 0, currency: config.llm.currency, automatic: config.analysis.autoLearn },
    unreadable: [],
  };
  let firstUnreadable: VocError | null = null;
  const analysis = new AnalysisEstimator(config, { learningOnly: true });
  // a chunk is one request to the daemon and one transaction: cut by size too, well under the socket's limit
  const chunkBytes = Math.floor(config.daemon.maxRequestBytes / 4);
  const newProducts = new Set<string>();
  let shownRejects = 0;
  let shownConflicts = 0;
  let shownWarnings = 0;
  const started = Date.now();

  /** One reject, conflict or warning: a line on stderr (the first few) and, with --rejects, a JSON line with its row. */
  const note = (file: string, line: number, field: string, reason: string, kind: 'reject' | 'conflict' | 'warning', row?: unknown) => {
    rejectsOut?.write(
      JSON.stringify(row === undefined ? { kind, file, line, field, reason } : { kind, file, line, field, reason, row }) + '\n',
    );
    const shown = kind === 'reject' ? shownRejects++ : kind === 'conflict' ? shownConflicts++ : shownWarnings++;
    if (shown < SHOWN) progress.note(`${file}:${line}: ${field}: ${reason}`);
  };

  try {
    for (const source of options.files) {
      const file = source === '-' ? 'stdin' : source;
      const perFile = { rows: 0, inserted: 0, duplicates: 0, rejected: 0, conflicts: 0, truncated: 0 };
      let brokeAt = '';
      let acked = 0;
      let rows: NewReview[] = [];
      let rowBytes = 0;
      let products: ProductMeta[] = [];
      let bytesAtCut = 0;
      // a few chunks in flight while the next one is parsed: reading and inserting overlap
      const window = new ChunkWindow(sink.inFlight ?? 1);
      const flush = async () => {
        const write = writeOnce(sink, { file, rows, products: products.length ? products : undefined });
        const cutAt = bytesAtCut;
        const count = rows.length;
        rows = [];
        rowBytes = 0;
        products = [];
        await window.send(write, (res: InsertResult) => {
          perFile.inserted += res.inserted;
          perFile.duplicates += res.duplicates;
          perFile.conflicts += res.conflicts.length;
          for (const id of res.newProducts ?? []) newProducts.add(id);
          for (const c of res.conflicts) {
            note(
              file,
              c.line ?? 0,
              'review_id',
              `conflict: review ${c.reviewId ?? c.sourceKey} is already stored with a different body (kept the stored one)`,
              'conflict',
            );
          }
          acked += count;
          progress.update(acked, cutAt);
        });
      };
      let startedFile = false;
      try {
        try {
          for await (const item of readReviews(source, {
            config,
            format: options.format as Format | undefined,
            encoding: options.encoding,
            mapping,
            product: options.product ?? null,
            stdin: deps.stdin,
          })) {
            if (!startedFile && item.kind === 'progress') {
              startedFile = true;
              progress.startFile(file, item.totalBytes);
            }
            if (item.kind === 'review') {
              perFile.rows++;
              if (item.warning) {
                summary.warnings++;
                note(file, item.review.line ?? 0, item.warning.field, item.warning.reason, 'warning');
              }
              rows.push(item.review);
              // at most 3 bytes of UTF-8 per UTF-16 unit, plus the row's other fields
              rowBytes += 3 * (item.review.body.length + (item.review.title?.length ?? 0)) + ROW_OVERHEAD_BYTES;
              analysis.add(item.review);
              if (rows.length >= config.ingest.chunkSize || rowBytes >= chunkBytes) await flush();
            } else if (item.kind === 'reject') {
              // the file broke off: not a row; the file is counted as cut short, its rows before the break kept
              if (item.field === '(file)') {
                perFile.truncated = 1;
                brokeAt = item.line ? `, cut short at line ${item.line}` : ', cut short';
              } else {
                perFile.rows++;
                perFile.rejected++;
              }
              note(item.file, item.line, item.field, item.reason, 'reject', item.row);
            } else if (item.kind === 'product') {
              products.push(item.product);
            } else if (item.kind === 'notice') {
              progress.note(`${item.file}: ${item.text}`);
            } else {
              bytesAtCut = item.bytes;
            }
          }
          if (rows.length || products.length) await flush();
        } finally {
          await window.settle(); // rows already sent are committed or failed; never left half-way
        }
        await window.drain();
      } catch (err) {
        // a file that cannot be read at all (missing, binary, no body column: before any of its rows) is named and
        // the other files are read; the run still fails at the end. One file alone fails at once, as before.
        if (!(err instanceof VocError) || err.code !== 'INGEST_UNREADABLE' || options.files.length === 1) throw err;
        firstUnreadable ??= err;
        const prefix = `${file}: `;
        summary.unreadable.push({ file, reason: err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message });
        progress.note(`${err.message}: skipped${err.hint ? ` (${err.hint})` : ''}`);
        continue;
      }
      summary.files++;
      for (const k of Object.keys(perFile) as Array<keyof typeof perFile>) summary[k] += perFile[k];
      progress.endFile(
        `${file}: ${perFile.rows} rows, ${perFile.inserted} inserted, ${perFile.duplicates} duplicates, ${perFile.rejected} rejected, ${perFile.conflicts} conflicts${brokeAt}`,
      );
    }
  } finally {
    progress.stop();
    if (rejectsOut) await new Promise<void>((resolve) => rejectsOut.end(resolve));
  }
  const more = summary.rejected - Math.min(summary.rejected, SHOWN);
  if (more > 0)
    stderr.write(
      `... and ${more} more rejected rows${options.rejects ? ` (all in ${options.rejects})` : ' (list them all with --rejects FILE)'}\n`,
    );
  const moreWarnings = summary.warnings - Math.min(summary.warnings, SHOWN);
  if (moreWarnings > 0)
    stderr.write(
      `... and ${moreWarnings} more warnings${options.rejects ? ` (all in ${options.rejects})` : ' (list them all with --rejects FILE)'}\n`,
    );
  const secs = Math.max((Date.now() - started) / 1000, 0.001);
  summary.newProducts = newProducts.size;
  const est = analysis.learning(newProducts);
  summary.learning = { ...summary.learning, products: est.products, calls: est.learn.calls, cost: est.learn.cost };
  if (options.json) deps.stdout.write(JSON.stringify(summary) + '\n');
  else {
    deps.stdout.write(
      `ingested ${summary.files} file${summary.files === 1 ? '' : 's'}: ${summary.rows} rows, ${summary.inserted} inserted, ` +
        `${summary.duplicates} duplicates, ${summary.rejected} rejected, ${summary.conflicts} conflicts` +
        `${summary.warnings ? `, ${summary.warnings} warnings` : ''}${summary.truncated ? `, ${summary.truncated} files cut short` : ''} (${Math.round(summary.rows / secs)} rows/s)\n`,
    );
    if (summary.newProducts) deps.stdout.write(learningLine(summary, config) + '\n');
  }
  if (firstUnreadable) {
    const n = summary.unreadable.length;
    throw new VocError(
      'INGEST_UNREADABLE',
      n === 1
        ? firstUnreadable.message
        : `${n} of ${options.files.length} files could not be read: ${summary.unreadable.map((u) => u.file).join(', ')}`,
      {
        hint:
          n === 1 ? firstUnreadable.hint : `each is named above with the reason${summary.files ? '; the other files were ingested' : ''}`,
        exitCode: 1,
      },
    );
  }
  return summary;
}

/** New products are learned when analysis is asked for (or by themselves with analysis.autoLearn): say what it costs. */
function learningLine(s: IngestSummary, config: Config): string {
  const l = s.learning;
  const head = `${s.newProducts} new product${s.newProducts === 1 ? '' : 's'}`;
  if (!l.products) return `${head}, none with ${config.analysis.learnMinReviews}+ reviews to learn yet`;
  const cost = l.cost === null ? `no price for ${config.llm.model}` : `~${l.cost.toFixed(4)} ${l.currency}`;
  const what = `${head}; learning the ${l.products} with ${config.analysis.learnMinReviews}+ reviews takes ${l.calls} calls, ${cost}`;
  return l.automatic ? `${what} (being learned now: analysis.autoLearn is on)` : `${what}, when you run \`voc analyze\` or \`voc learn\``;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description(
      'store reviews from CSV, JSON or NDJSON files (or - for standard input), with a summary of inserted, duplicate and rejected rows',
    )
    .argument('<files...>', 'files to read (.csv, .json, .ndjson, optionally .gz), or - for standard input')
    .option('--format <format>', 'csv, json or ndjson, when the extension and content do not tell')
    .option('--encoding <name>', 'force the text encoding (utf8, gbk, utf16le, latin1, ...)')
    .option('--map <field=column>', 'read FIELD from COLUMN, e.g. --map body="Customer Review" (repeatable)', collect, [])
    .option('--product <id>', 'product id for rows without a product column')
    .option('--rejects <file>', 'write every rejected row to FILE, one JSON line each')
    .option('--strict', 'exit 1 when any row is rejected or conflicts, or a file is cut short')
    .option('--json', 'print the summary as JSON')
    .option('--direct', "write straight to the store instead of through the daemon's ingestion lane")
    .action(async (files: string[], opts: Omit<IngestOptions, 'files'> & { direct?: boolean }, cmd: Command) => {
      const config = configFor(cmd);
      // the daemon's ingestion lane acknowledges each chunk after its transaction commits
      const sink = opts.direct
        ? storeSink(config)
        : daemonSink(await connectDaemon(config, { autostart: true, configFile: globals(cmd).config }));
      try {
        const summary = await runIngest(
          { ...opts, files, json: opts.json || globals(cmd).json },
          { config, sink, stdout: process.stdout, stderr: process.stderr },
        );
        if (opts.strict && (summary.rejected > 0 || summary.conflicts > 0 || summary.truncated > 0)) {
          const cut = summary.truncated ? `, ${summary.truncated} files cut short` : '';
          throw new VocError('INGEST_REJECTS', `${summary.rejected} rejected rows and ${summary.conflicts} conflicts${cut} (--strict)`);
        }
      } finally {
        await sink.close();
      }
    });
}
