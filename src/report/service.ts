import { writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { DaemonContext } from '../context.js';
import type { Service, ServiceJob } from '../lanes/types.js';
import type { Store } from '../store/db.js';
import { VocError, errorMessage } from '../errors.js';
import { buildReport } from './aggregates.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { summaryLine } from './format.js';
import type { ReportData } from './types.js';

export const REPORT_FORMATS = ['md', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportOptions {
  productId?: string;
  all?: boolean;
  since?: string;
  /** end of the --since period (default today); tests pin it */
  until?: string;
  format?: ReportFormat;
  /** write the report to this file instead of returning its text */
  out?: string;
}

export interface ReportResult {
  format: ReportFormat;
  /** the rendered report; omitted when it was written to `out` */
  content?: string;
  path?: string;
  bytes: number;
  summary: string;
  data: ReportData;
}

export function render(data: ReportData, format: ReportFormat): string {
  if (format === 'json') return renderJson(data);
  if (format === 'html') return renderHtml(data);
  return renderMarkdown(data);
}

export function parseFormat(v: unknown): ReportFormat {
  const f = v === undefined || v === null || v === '' ? 'md' : String(v);
  if (!(REPORT_FORMATS as readonly string[]).includes(f))
    throw new VocError('USAGE', `--format must be one of ${REPORT_FORMATS.join(', ')}, got "${f}"`);
  return f as ReportFormat;
}

/** Build and render one report from the store; the command calls it directly, the daemon on the reports lane. */
export async function runReport(options: ReportOptions, deps: { store: Store; config: Config }): Promise<ReportResult> {
  const format = parseFormat(options.format);
  const data = await buildReport(
    deps.store,
    { productId: options.productId, all: options.all, since: options.since, until: options.until },
    { currency: deps.config.llm.currency },
  );
  const content = render(data, format);
  const bytes = Buffer.byteLength(content);
  const summary = summaryLine(data);
  if (!options.out) return { format, content, bytes, summary, data };
  const file = path.resolve(options.out);
  // write then rename, so a reader never opens half a report
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, content, 'utf8');
    await rename(tmp, file);
  } catch (err) {
    throw new VocError('IO', `cannot write the report to ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, {
      cause: err,
    });
  }
  return { format, path: file, bytes, summary, data };
}

/** The daemon's report jobs: one at a time per job row, built on the reports lane (base pool, no LLM). */
export function createReportService(ctx: DaemonContext): Service {
  return {
    name: 'reports',
    kinds: { report: 'exclusive' },
    async runJob(job: ServiceJob): Promise<Record<string, unknown>> {
      const p = job.params ?? {};
      const options: ReportOptions = {
        productId: job.productId ?? undefined,
        all: p.all === true,
        since: typeof p.since === 'string' ? p.since : undefined,
        format: parseFormat(p.format),
        out: typeof p.out === 'string' && p.out !== '' ? p.out : undefined,
      };
      const result = await ctx.lanes.submit({
        lane: 'reports',
        label: `report ${options.all ? 'all products' : options.productId} (${options.format}, job ${job.id})`,
        productId: job.productId,
        jobId: job.id,
        run: () => runReport(options, { store: ctx.store, config: ctx.config }),
      });
      if (result.path) return { format: result.format, path: result.path, bytes: result.bytes, summary: result.summary };
      return { format: result.format, content: result.content, summary: result.summary };
    },
  };
}
