import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { isInteractive } from '../cli/output.js';
import { VocError } from '../errors.js';
import { openStore } from '../store/db.js';
import { parseFormat, runReport, type ReportFormat } from '../report/service.js';

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
}

/**
 * `voc report`: reads the store directly (a report needs no daemon and no LLM call). Prints the report, or with
 * --out writes it and prints the path; --json prints a machine-readable result.
 */
export async function runReportCommand(opts: ReportCommandOptions, deps: ReportCommandDeps): Promise<{ format: ReportFormat; path?: string; bytes: number }> {
  const write = deps.write ?? ((t: string) => void process.stdout.write(t));
  if (opts.all && opts.product) throw new VocError('USAGE', 'name a product or pass --all, not both');
  if (!opts.all && !opts.product) throw new VocError('USAGE', 'name a product, or pass --all for every product', { hint: 'voc report PRODUCT [--format md|json|html]' });
  // --json alone asks for the JSON report; with another --format it wraps that report in a JSON envelope
  const format = parseFormat(opts.format ?? (opts.json ? 'json' : 'md'));
  const store = await openStore(deps.config);
  try {
    const r = await runReport({ productId: opts.product, all: opts.all, since: opts.since, format, out: opts.out }, { store, config: deps.config });
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
  } finally {
    await store.close();
  }
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('report on a product (or --all) as Markdown, JSON or a self-contained HTML page; no LLM call, no daemon needed')
    .argument('[product]', 'product id')
    .option('--all', 'an overview row per product')
    .option('--format <format>', 'md | json | html (default md)')
    .option('--out <file>', 'write the report to FILE and print its path')
    .option('--since <date>', 'only reviews dated on or after YYYY-MM-DD, compared with the period of equal length before')
    .option('--json', 'machine-readable output')
    .action(async (product: string | undefined, opts: Omit<ReportCommandOptions, 'product'>, cmd: Command) => {
      const config = configFor(cmd);
      await runReportCommand({ ...opts, product, json: opts.json || globals(cmd).json }, { config, interactive: isInteractive() && !opts.out });
    });
}
