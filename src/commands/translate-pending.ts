import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { isInteractive } from '../cli/output.js';
import { cancelledError, followWithProgress } from '../cli/follow.js';
import { VocError } from '../errors.js';
import { connectDaemon } from '../daemon/client.js';
import type { DaemonClient, JobView } from '../daemon/api.js';

export interface TranslatePendingOptions {
  product?: string;
  limit?: string | number;
  wait?: boolean;
  json?: boolean;
  /** through the provider's Batch API (half price, results within 24 h); false forces realtime */
  batch?: boolean;
}

export interface TranslatePendingDeps {
  config: Config;
  /** the daemon to talk to; default: connectDaemon(config, { autostart: true }) */
  client?: DaemonClient;
  configFile?: string;
  stdout?: { write(s: string): unknown };
  interactive?: boolean;
}

export interface TranslatePendingResult {
  job: JobView;
  /** 0 all translated or skipped, 1 some failed (or the job failed) */
  exitCode: number;
}

type Summary = {
  batch?: { requests: number; completed: number; failed: number; status: string | null };
  batchRequests?: number;
  translated?: number;
  skipped?: number;
  cached?: number;
  converted?: number;
  failed?: number;
  failures?: Array<{ error: string; reviews: number }>;
  calls?: number;
  promptTokens?: number;
  completionTokens?: number;
  cost?: number;
  classes?: Record<string, number>;
  total?: number;
  done?: number;
};

function parseLimit(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new VocError('USAGE', `--limit must be a whole number of reviews >= 1, got "${v}"`);
  return n;
}

/**
 * Cron-safe: submits one translate job for every pending review in scope, or attaches to the one already open
 * over that scope, so one backlog has one job and one summary. With --wait, follows the job to its end.
 */
export async function runTranslatePending(o: TranslatePendingOptions, deps: TranslatePendingDeps): Promise<TranslatePendingResult> {
  const limit = parseLimit(o.limit);
  const out = deps.stdout ?? process.stdout;
  const client = deps.client ?? (await connectDaemon(deps.config, { autostart: true, configFile: deps.configFile, quiet: !!o.json }));
  const params: Record<string, unknown> = limit ? { limit } : {};
  if (o.batch !== undefined) params.batch = o.batch;
  const submitted = await client.submitJob({ kind: 'translate', productId: o.product ?? null, params });
  const attached = !!submitted.attached;
  // a job already open over this scope (the beat's, an earlier cron run's) takes the request in
  const opening = attached
    ? `translate job ${submitted.id} (${submitted.productId ? `product ${submitted.productId}` : 'every product'}) is already ${submitted.status}; attached to it`
    : `translate job ${submitted.id} submitted${o.product ? ` for ${o.product}` : ''}`;
  if (!o.wait) {
    if (o.json) out.write(JSON.stringify({ job: submitted.id, status: submitted.status, attached }, null, 2) + '\n');
    else out.write(`${opening}; follow it with \`voc status\`\n`);
    return { job: submitted, exitCode: 0 };
  }
  if (attached && !o.json) out.write(opening + '\n');
  const interactive = !o.json && (deps.interactive ?? isInteractive());
  const final = await followWithProgress(client, submitted.id, {
    format: 'translating [{bar}] {value}/{total} | {translated} translated, {failed} failed | {calls} calls',
    interactive,
    quiet: !!o.json,
    out,
    view: (job) => {
      const p = (job.result ?? {}) as Summary;
      if (p.total === undefined) return null;
      const payload = { translated: p.translated ?? 0, failed: p.failed ?? 0, calls: p.calls ?? 0 };
      const b = p.batch;
      // a batch job: the provider's own counts of its requests
      const provider = b && b.requests ? ` | Batch API ${b.status ?? ''} ${b.completed + b.failed}/${b.requests} requests` : '';
      const line = `translating: ${p.done ?? 0}/${p.total} done, ${payload.translated} translated, ${payload.failed} failed, ${payload.calls} calls${provider}`;
      return { done: p.done ?? 0, total: p.total, payload, line };
    },
  });
  if (final.status === 'cancelled') throw cancelledError(final);
  if (final.status === 'failed') throw new VocError('JOB_FAILED', `translate job ${final.id} failed: ${final.error ?? 'unknown error'}`);
  const s = (final.result ?? {}) as Summary;
  const failed = Number(s.failed ?? 0);
  if (o.json) out.write(JSON.stringify({ job: final.id, attached, ...s }, null, 2) + '\n');
  else {
    const classes = s.classes ? ` (vip ${s.classes.vip ?? 0}, standard ${s.classes.standard ?? 0}, short ${s.classes.short ?? 0})` : '';
    const tokens = (s.promptTokens ?? 0) + (s.completionTokens ?? 0);
    out.write(
      `translated ${s.translated ?? 0}${classes}, skipped ${s.skipped ?? 0}, from cache ${s.cached ?? 0}, ` +
        `${s.converted ? `converted without a call ${s.converted}, ` : ''}failed ${failed}; ` +
        `${s.calls ?? 0} calls${s.batchRequests ? ` + ${s.batchRequests} Batch API requests at the batch price` : ''}, ${tokens} tokens, cost ${Number(s.cost ?? 0).toFixed(4)} ${deps.config.llm.currency}\n`,
    );
    if (failed) {
      out.write(
        `${failed} reviews failed: later runs retry them up to translate.maxAttempts (${deps.config.translate.maxAttempts}) times\n`,
      );
      // why, so a wrong key or a model that does not exist is not a mystery in the daemon's log
      for (const f of s.failures ?? []) out.write(`  ${f.reviews} × ${f.error}\n`);
    }
  }
  return { job: final, exitCode: failed > 0 ? 1 : 0 };
}

export function registerTranslatePending(program: Command): void {
  program
    .command('translate-pending')
    .description('translate every pending review on the translation lane (cron-safe: overlapping runs never translate a review twice)')
    .option('--product <id>', 'only reviews of this product')
    .option('--limit <n>', 'at most N reviews')
    .option('--batch', "through the provider's Batch API: half price, results within 24 h (translate.mode sets the default)")
    .option('--no-batch', 'realtime calls even when translate.mode is batch or auto')
    .option('--wait', 'follow the run and exit when it is done (0 all translated or skipped, 1 some failed, 2 no daemon)')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: TranslatePendingOptions, cmd: Command) => {
      const g = globals(cmd);
      const res = await runTranslatePending({ ...opts, json: opts.json || g.json }, { config: configFor(cmd), configFile: g.config });
      if (res.exitCode) process.exitCode = res.exitCode;
    });
}
