import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { isInteractive } from '../cli/output.js';
import { DaemonUnavailableError, VocError } from '../errors.js';
import { openStore } from '../store/db.js';
import { parseFormat, runReport, type ReportFormat, type ReportResult } from '../report/service.js';
import { connectDaemon } from '../daemon/client.js';
import type { DaemonClient } from '../daemon/api.js';

export interface ReportCommandOptions {
  product?: string;
  all?: boolean;
  format?: string;
  out?: string;
  since?: string;
  json?: boolean;
}

export interface ReportCommandDeps {
  config: Config;
  write?: (text: string) => void;
  /** stdout is a terminal: a summary line follows the report */
  interactive?: boolean;
  /** a running daemon: the report is built on its reports lane (base pool); null reads the store here */
  client?: DaemonClient | null;
}

type Produced = Pick<ReportResult, 'format' | 'content' | 'path' | 'bytes' | 'summary'>;

/** On the daemon's reports lane, so reports share the base pool's cap with ingestion like the seed's worker-base. */
async function viaDaemon(
  client: DaemonClient,
  o: { productId?: string; all?: boolean; since?: string; format: ReportFormat; out?: string },
): Promise<Produced> {
  const job = await client.submitJob({
    kind: 'report',
    productId: o.productId ?? null,
    params: { format: o.format, all: !!o.all, since: o.since, out: o.out ? path.resolve(o.out) : undefined },
  });
  const final = await client.followJob(job.id, () => {});
  if (final.status !== 'done')
    throw new VocError('REPORT', final.error?.replace(/^[A-Za-z]*Error: /, '') ?? `report job ${final.id} failed`);
  const r = (final.result ?? {}) as Partial<Produced>;
  return {
    format: o.format,
    content: r.content,
    path: r.path,
    bytes: Number(r.bytes ?? Buffer.byteLength(r.content ?? '')),
    summary: String(r.summary ?? ''),
  };
}

/**
 * `voc report`: reads the store directly (a report needs no daemon and no LLM call). Prints the report, or with
 * --out writes it and prints the path; --json prints a machine-readable result.
 */
export async function runReportCommand(
  opts: ReportCommandOptions,
  deps: ReportCommandDeps,
): Promise<{ format: ReportFormat; path?: string; bytes: number }> {
  const write = deps.write ?? ((t: string) => void process.stdout.write(t));
  if (opts.all && opts.product) throw new VocError('USAGE', 'name a product or pass --all, not both');
  if (!opts.all && !opts.product)
    throw new VocError('USAGE', 'name a product, or pass --all for every product', { hint: 'voc report PRODUCT [--format md|json|html]' });
  // --json alone asks for the JSON report; with another --format it wraps that report in a JSON envelope
  const format = parseFormat(opts.format ?? (opts.json ? 'json' : 'md'));
  const request = { productId: opts.product, all: opts.all, since: opts.since, format, out: opts.out };
  let r: Produced;
  if (deps.client) r = await viaDaemon(deps.client, request);
  else {
    const store = await openStore(deps.config);
    try {
      r = await runReport(request, { store, config: deps.config });
    } finally {
      await store.close();
    }
  }
  {
    if (r.path) {
      if (opts.json) write(JSON.stringify({ format: r.format, path: r.path, bytes: r.bytes, summary: r.summary }) + '\n');
      else write(`${r.path}\n`);
    } else if (opts.json && format !== 'json') {
      write(JSON.stringify({ format: r.format, content: r.content, summary: r.summary }) + '\n');
    } else {
      const text = r.content ?? '';
      write(text.endsWith('\n') ? text : `${text}\n`);
      if (deps.interactive && format === 'md') write(`\n${r.summary}\n`);
    }
    return { format: r.format, path: r.path, bytes: r.bytes };
  }
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      "report on a product (or --all) as Markdown, JSON or a self-contained HTML page; no LLM call (on the daemon's reports lane when one runs, else straight from the store)",
    )
    .argument('[product]', 'product id')
    .option('--all', 'an overview row per product')
    .option('--format <format>', 'md | json | html (default md)')
    .option('--out <file>', 'write the report to FILE and print its path')
    .option('--since <date>', 'only reviews dated on or after YYYY-MM-DD, compared with the period of equal length before')
    .option('--json', 'machine-readable output')
    .action(async (product: string | undefined, opts: Omit<ReportCommandOptions, 'product'>, cmd: Command) => {
      const config = configFor(cmd);
      // a running daemon builds it on the reports lane; without one the store is read here (a report needs no daemon)
      const client = await connectDaemon(config, { autostart: false, configFile: globals(cmd).config }).catch((err) => {
        if (err instanceof DaemonUnavailableError) return null;
        throw err;
      });
      await runReportCommand(
        { ...opts, product, json: opts.json || globals(cmd).json },
        { config, client, interactive: isInteractive() && !opts.out },
      );
    });
}
