import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { VocError, errorMessage } from '../errors.js';
import { parseMapping, readReviews, type Format } from '../ingest/index.js';
import { TranslationEstimator, type ProfileEstimate, type TranslationEstimate } from '../translate/estimate.js';
import { AnalysisEstimator, type AnalysisEstimate, type CallsEstimate } from '../analysis/estimate.js';

export interface EstimateOptions {
  files: string[];
  format?: string;
  encoding?: string;
  map?: string[];
  product?: string;
  json?: boolean;
}

export interface EstimateDeps {
  config: Config;
  stdout: { write(s: string): unknown };
  stdin?: NodeJS.ReadableStream;
}

export interface EstimateResult extends TranslationEstimate {
  files: number;
  rejected: number;
  /** learning (one call per product with enough reviews), insights and themes, if analysis is asked for */
  analysis: AnalysisEstimate;
}

/** Read the dumps (nothing stored, nothing called) and project calls, time, tokens and cost per packing profile. */
export async function runEstimate(options: EstimateOptions, deps: EstimateDeps): Promise<EstimateResult> {
  if (options.files.length === 0) throw new VocError('USAGE', 'give at least one FILE, or - for standard input');
  let mapping: Record<string, string>;
  try {
    mapping = parseMapping(options.map);
  } catch (err) {
    throw new VocError('USAGE', errorMessage(err));
  }
  const est = new TranslationEstimator(deps.config);
  const analysis = new AnalysisEstimator(deps.config);
  let rejected = 0;
  for (const source of options.files) {
    const items = readReviews(source, {
      config: deps.config,
      format: options.format as Format | undefined,
      encoding: options.encoding,
      mapping,
      product: options.product ?? null,
      stdin: deps.stdin,
    });
    for await (const item of items) {
      if (item.kind === 'review') {
        est.add(item.review);
        analysis.add(item.review);
      } else if (item.kind === 'reject') rejected++;
    }
  }
  const result: EstimateResult = { files: options.files.length, rejected, ...est.result(), analysis: analysis.result() };
  deps.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : render(result, deps.config));
  return result;
}

function render(r: EstimateResult, cfg: Config): string {
  const pct = (n: number) => (r.reviews ? `${Math.round((n / r.reviews) * 100)}%` : '0%');
  const money = (c: number | null) => (c === null ? `no price for ${r.model}` : `${c.toFixed(4)} ${r.currency}`);
  const row = (name: string, p: ProfileEstimate) =>
    `  ${name.padEnd(22)} ${String(p.calls).padStart(8)} calls  ${String(p.reviewsPerCall).padStart(6)}/call  ${p.minutes.toFixed(1).padStart(7)} min  ` +
    `${String(p.inputTokens + p.outputTokens).padStart(10)} tokens  ${money(p.cost)}  (Batch API ${money(p.batchCost)})`;
  const calls = (name: string, c: CallsEstimate) =>
    `  ${name.padEnd(22)} ${String(c.calls).padStart(8)} calls  ${''.padStart(11)}  ${(c.calls / r.qps / 60).toFixed(1).padStart(7)} min  ` +
    `${String(c.inputTokens + c.outputTokens).padStart(10)} tokens  ${money(c.cost)}`;
  const active = cfg.translate.packing;
  return [
    `${r.reviews} reviews in ${r.files} file${r.files === 1 ? '' : 's'} (${r.rejected} rejected rows)`,
    `class mix: vip ${r.classes.vip} (${pct(r.classes.vip)}) | standard ${r.classes.standard} (${pct(r.classes.standard)}) | short ${r.classes.short} (${pct(r.classes.short)})`,
    `texts to translate: ${r.texts} (titles ${r.titles}; ${r.duplicates} duplicates paid once; ${r.noCall} need no call; ` +
      `${r.converted} converted, no call)`,
    `languages: ${languageMix(r)}`,
    `at ${r.qps} requests/s with ${r.model}:`,
    row('single review per call', r.profiles.single),
    row('fixed 10 per call', r.profiles.fixed10),
    row(`seed (1/5/20)${active === 'seed' ? ' *' : ''}`, r.profiles.seed),
    row(`tokens (${cfg.translate.tokenBudget})${active === 'tokens' ? ' *' : ''}`, r.profiles.tokens),
    `(* the configured profile, translate.packing; tokens are estimates: ~4 Latin characters or 1 CJK character per token)`,
    `if analysis is asked for (\`voc analyze\`; not by default):`,
    calls(`learning (${r.analysis.products} products)`, r.analysis.learn),
    calls('insights', r.analysis.insights),
    calls('themes', r.analysis.themes),
    '',
  ].join('\n');
}

/** "en 120 (sent) | zh 40 (skipped) | zh-Hant 12 (converted) | ja 9 (sent)": what a run does with each language */
function languageMix(r: EstimateResult): string {
  if (!r.languages.length) return 'none';
  return r.languages
    .map((l) => {
      const parts = [l.sent && `${l.sent} sent`, l.skipped && `${l.skipped} skipped`, l.converted && `${l.converted} converted`].filter(
        Boolean,
      );
      return `${l.lang} ${l.reviews} (${parts.join(', ')})`;
    })
    .join(' | ');
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerEstimate(program: Command): void {
  program
    .command('estimate')
    .description('project translation calls, time, tokens and cost for review dumps, without storing or calling anything')
    .argument('<files...>', 'files to read (.csv, .json, .ndjson), or - for standard input')
    .option('--format <format>', 'csv, json or ndjson, when the extension and content do not tell')
    .option('--encoding <name>', 'force the text encoding')
    .option('--map <field=column>', 'read FIELD from COLUMN (repeatable)', collect, [])
    .option('--product <id>', 'product id for rows without a product column')
    .option('--json', 'print the estimate as JSON')
    .action(async (files: string[], opts: Omit<EstimateOptions, 'files'>, cmd: Command) => {
      await runEstimate({ ...opts, files, json: opts.json || globals(cmd).json }, { config: configFor(cmd), stdout: process.stdout });
    });
}
