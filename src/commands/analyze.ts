import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { isInteractive } from '../cli/output.js';
import { cancelledError, followWithProgress } from '../cli/follow.js';
import { VocError } from '../errors.js';
import { connectDaemon } from '../daemon/client.js';
import type { DaemonClient, JobView } from '../daemon/api.js';

export interface AnalyzeOptions {
  product?: string;
  all?: boolean;
  force?: boolean;
  wait?: boolean;
  json?: boolean;
  /** insights and themes through the provider's Batch API (half price, results within 24 h); learning stays realtime */
  batch?: boolean;
}

export interface AnalyzeDeps {
  config: Config;
  client?: DaemonClient;
  configFile?: string;
  stdout?: { write(s: string): unknown };
  interactive?: boolean;
}

export interface AnalyzeResult {
  job: JobView;
  /** 0 every review analysed, 1 some failed */
  exitCode: number;
}

type Summary = {
  phase?: string;
  total?: number;
  done?: number;
  reviews?: number;
  insights?: number;
  themes?: number;
  unmapped?: number;
  droppedQuotes?: number;
  failed?: number;
  calls?: number;
  promptTokens?: number;
  completionTokens?: number;
  cost?: number;
  simulated?: boolean;
  skipped?: Array<{ productId: string; reason: string }>;
  batchRequests?: number;
  batchCost?: number;
  batch?: { requests: number; completed: number; failed: number; status: string | null };
};

/** The `--json` summary of the issue, in this order. */
function jsonSummary(id: number, s: Summary): Record<string, unknown> {
  const {
    reviews = 0,
    insights = 0,
    themes = 0,
    unmapped = 0,
    droppedQuotes = 0,
    failed = 0,
    calls = 0,
    promptTokens = 0,
    completionTokens = 0,
    cost = 0,
    simulated = false,
    skipped = [],
    batchRequests,
    batchCost,
  } = s;
  return {
    job: id,
    reviews,
    insights,
    themes,
    unmapped,
    droppedQuotes,
    failed,
    calls,
    promptTokens,
    completionTokens,
    cost,
    simulated,
    skipped,
    // a Batch API job: its requests and what they cost (calls above are the realtime ones)
    ...(batchRequests !== undefined ? { batchRequests, batchCost: batchCost ?? 0 } : {}),
  };
}

/**
 * `voc analyze PRODUCT | --all`: the seed's full auto analysis. Learns the product when it is not learned, then
 * extracts insights and themes of every review not yet analysed (--force redoes them), on two lanes at once.
 */
export async function runAnalyze(o: AnalyzeOptions, deps: AnalyzeDeps): Promise<AnalyzeResult> {
  if (o.all && o.product) throw new VocError('USAGE', 'name a product or pass --all, not both');
  if (!o.all && !o.product)
    throw new VocError('USAGE', 'name a product, or pass --all for every product', { hint: 'voc analyze PRODUCT [--force] [--wait]' });
  const out = deps.stdout ?? process.stdout;
  const client = deps.client ?? (await connectDaemon(deps.config, { autostart: true, configFile: deps.configFile, quiet: !!o.json }));
  const params: Record<string, unknown> = {};
  if (o.all) params.all = true;
  if (o.force) params.force = true;
  if (o.batch) params.batch = true;
  const submitted = await client.submitJob({ kind: 'analyze', productId: o.product ?? null, params });
  const what = o.all ? 'every product' : o.product;
  if (!o.wait) {
    if (o.json) out.write(JSON.stringify({ job: submitted.id, status: submitted.status }, null, 2) + '\n');
    else out.write(`analyze job ${submitted.id} submitted for ${what}; follow it with \`voc status\` or pass --wait\n`);
    return { job: submitted, exitCode: 0 };
  }
  const interactive = !o.json && (deps.interactive ?? isInteractive());
  const final = await followWithProgress(client, submitted.id, {
    format: 'analysing [{bar}] {value}/{total} | {phase} | {insights} insights, {themes} themes, {failed} failed | {calls} calls',
    interactive,
    quiet: !!o.json,
    out,
    view: (job) => {
      const p = (job.result ?? {}) as Summary;
      if (p.total === undefined) return null;
      const payload = {
        phase: p.phase ?? '',
        insights: p.insights ?? 0,
        themes: p.themes ?? 0,
        failed: p.failed ?? 0,
        calls: p.calls ?? 0,
      };
      const b = p.batch;
      // a Batch API job: the provider's own counts of its requests
      const provider = b && b.requests ? ` | Batch API ${b.status ?? ''} ${b.completed + b.failed}/${b.requests} requests` : '';
      const line = `analysing (${payload.phase}): ${p.done ?? 0}/${p.total}, ${payload.insights} insights, ${payload.themes} themes, ${payload.failed} failed, ${payload.calls} calls${provider}`;
      return { done: p.done ?? 0, total: p.total, payload, line };
    },
  });
  if (final.status === 'cancelled') throw cancelledError(final);
  if (final.status === 'failed') throw new VocError('JOB_FAILED', `analyze job ${final.id} failed: ${final.error ?? 'unknown error'}`);
  const s = (final.result ?? {}) as Summary;
  const failed = Number(s.failed ?? 0);
  if (o.json) out.write(JSON.stringify(jsonSummary(final.id, s), null, 2) + '\n');
  else {
    const tokens = (s.promptTokens ?? 0) + (s.completionTokens ?? 0);
    out.write(
      `analysed ${s.reviews ?? 0} reviews of ${what}${s.simulated ? ' (simulated)' : ''}: ${s.insights ?? 0} insights, ${s.themes ?? 0} themes ` +
        `(${s.unmapped ?? 0} unmapped), ${s.droppedQuotes ?? 0} made-up quotes dropped, ${failed} failed; ` +
        `${s.calls ?? 0} calls${s.batchRequests ? ` + ${s.batchRequests} Batch API requests at the batch price` : ''}, ${tokens} tokens, cost ${Number(s.cost ?? 0).toFixed(4)} ${deps.config.llm.currency}\n`,
    );
    for (const k of s.skipped ?? []) out.write(`skipped ${k.productId}: ${k.reason}\n`);
    if (failed)
      out.write(
        `${failed} review analyses failed (reasons in the reviews' ins_error/thm_error); \`voc analyze ${o.product ?? '--all'} --force\` redoes them\n`,
      );
  }
  return { job: final, exitCode: failed > 0 ? 1 : 0 };
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('full auto analysis: learn the product if needed, then insights and themes of every review not yet analysed')
    .argument('[product]', 'product id')
    .option('--all', 'every product')
    .option('--force', 'redo reviews already analysed')
    .option('--batch', "insights and themes through the provider's Batch API: half price, results within 24 h (learning stays realtime)")
    .option('--wait', 'follow the run with a progress bar and print the summary (exit 1 when some reviews failed, 2 no daemon)')
    .option('--json', 'print the summary as JSON')
    .action(async (product: string | undefined, opts: Omit<AnalyzeOptions, 'product'>, cmd: Command) => {
      const g = globals(cmd);
      const res = await runAnalyze({ ...opts, product, json: opts.json || g.json }, { config: configFor(cmd), configFile: g.config });
      if (res.exitCode) process.exitCode = res.exitCode;
    });
}
