import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { VocError } from '../errors.js';
import { connectDaemon } from '../daemon/client.js';
import type { DaemonClient, JobView, JobsView } from '../daemon/api.js';
import { sanitize } from '../tui/format.js';

export async function runJobs(config: Config, deps: { client?: DaemonClient; configFile?: string } = {}): Promise<JobsView> {
  const client = deps.client ?? (await connectDaemon(config, { autostart: false, configFile: deps.configFile }));
  return client.jobs();
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** Plain text in the spirit of `celery inspect active` and `active_queues`. */
export function formatJobs(v: JobsView): string {
  const out: string[] = ['pools (lanes in priority order):'];
  for (const [name, p] of Object.entries(v.pools)) out.push(`  ${name.padEnd(8)} cap ${String(p.cap).padStart(4)}  ${p.lanes.join(', ')}`);
  const group = (title: string, list: JobsView['active']) => {
    out.push(`${title}: ${list.length}`);
    const byKey = new Map<string, JobsView['active']>();
    for (const j of list) {
      const k = `${j.pool}/${j.lane}`;
      byKey.set(k, [...(byKey.get(k) ?? []), j]);
    }
    for (const [k, items] of byKey) {
      out.push(`  ${k} (${items.length})`);
      for (const j of items.slice(0, 10)) out.push(`    ${j.label}  ${secs(j.sinceMs)}`);
      if (items.length > 10) out.push(`    ... ${items.length - 10} more`);
    }
  };
  group('active', v.active);
  group('queued', v.queued);
  out.push('recent job rows:');
  if (!v.jobs.length) out.push('  none');
  for (const j of v.jobs) {
    const extra = j.error ? `  error: ${j.error}` : '';
    const status = j.status === 'running' && j.cancelRequestedAt != null ? 'cancelling' : j.status;
    out.push(`  #${j.id} ${j.kind.padEnd(9)} ${status.padEnd(10)} ${j.lane.padEnd(18)} ${j.productId ?? '-'}${extra}`);
  }
  const b = v.ingestBuffer;
  if (b) {
    out.push(`ingest buffer ${b.key}: ${b.waiting} waiting, ${b.inFlight} being stored, ${b.deadLetters} dead letters (${b.deadKey})`);
    for (const d of b.recentDead) {
      // producers' text: no escape sequence reaches the terminal
      out.push(
        `  ${new Date(d.at).toISOString()}  ${sanitize(d.field)}: ${sanitize(d.reason)}  element: ${sanitize(JSON.stringify(d.element.slice(0, 80)))}`,
      );
    }
  }
  return out.join('\n');
}

export interface CancelOptions {
  wait?: boolean;
  json?: boolean;
}

export interface CancelDeps {
  config: Config;
  client?: DaemonClient;
  configFile?: string;
  stdout?: { write(s: string): unknown };
}

export interface CancelResult {
  job: JobView;
  /** 0 the job is (or ended) cancelled, 1 it ended otherwise before the cancel took effect */
  exitCode: number;
}

function parseJobId(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new VocError('USAGE', `not a job id: "${v}" (a whole number, as \`voc jobs\` lists them)`);
  return n;
}

type Kept = {
  translated?: number;
  skipped?: number;
  failed?: number;
  released?: number;
  reviews?: number;
  insights?: number;
  themes?: number;
  calls?: number;
  batchRequests?: number;
  cost?: number;
};

/** What a cancelled job kept, in one line. */
function keptLine(job: JobView, currency: string): string {
  const r = (job.result ?? {}) as Kept;
  const parts: string[] = [];
  if (job.kind === 'translate') parts.push(`${r.translated ?? 0} translated and ${r.skipped ?? 0} skipped are kept`);
  if (job.kind === 'analyze')
    parts.push(`${r.reviews ?? 0} reviews analysed are kept (${r.insights ?? 0} insights, ${r.themes ?? 0} themes)`);
  if (r.released != null) parts.push(`${r.released} reviews are back to pending`);
  if (r.calls != null || r.batchRequests) {
    const batch = r.batchRequests ? ` + ${r.batchRequests} Batch API requests` : '';
    parts.push(`${r.calls ?? 0} realtime calls${batch}, cost ${Number(r.cost ?? 0).toFixed(4)} ${currency}`);
  }
  return `job ${job.id} (${job.kind}) cancelled${parts.length ? `: ${parts.join('; ')}` : ''}`;
}

/**
 * `voc jobs cancel JOB`: a queued job is cancelled at once; a running one stops taking new work, lets what is in
 * flight finish and keeps it (a Batch API job cancels its batches with the provider and keeps the lines already
 * answered), and the reviews it had not done go back to pending. The request is stored before anything else, so a
 * daemon killed half-way finishes the cancel after a restart. --wait follows the job to its end.
 */
export async function runJobsCancel(id: string, o: CancelOptions, deps: CancelDeps): Promise<CancelResult> {
  const jobId = parseJobId(id);
  const out = deps.stdout ?? process.stdout;
  const client = deps.client ?? (await connectDaemon(deps.config, { autostart: true, configFile: deps.configFile, quiet: !!o.json }));
  let view: JobView;
  try {
    view = await client.cancelJob(jobId);
  } catch (err) {
    if (err instanceof VocError && (err.code === 'NO_JOB' || err.code === 'JOB_FINISHED'))
      throw new VocError(err.code, err.message, { hint: '`voc jobs` lists recent jobs and their status' });
    throw err;
  }
  if (view.status === 'running' && o.wait) view = await client.followJob(jobId, () => {});
  const exitCode = view.status === 'cancelled' || view.status === 'running' ? 0 : 1;
  if (o.json) out.write(JSON.stringify(view, null, 2) + '\n');
  else if (view.status === 'running')
    out.write(
      `job ${jobId} (${view.kind}): cancel asked; it stops taking new work, keeps what is done and hands the rest back ` +
        `(\`voc jobs cancel ${jobId} --wait\` follows it to the end)\n`,
    );
  else if (view.status === 'cancelled')
    out.write(
      (view.startedAt == null ? `job ${jobId} (${view.kind}) cancelled before it started` : keptLine(view, deps.config.llm.currency)) +
        '\n',
    );
  else out.write(`job ${jobId} (${view.kind}) ended ${view.status} before the cancel took effect${view.error ? `: ${view.error}` : ''}\n`);
  return { job: view, exitCode };
}

export function registerJobs(program: Command): void {
  const jobs = program
    .command('jobs')
    .description(
      'active and queued lane tasks by pool, and recent job rows (celery inspect active / active_queues); `jobs cancel JOB` cancels one',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const v = await runJobs(configFor(cmd), { configFile: globals(cmd).config });
      if (opts.json || globals(cmd).json) printJson(v);
      else process.stdout.write(formatJobs(v) + '\n');
    });
  jobs
    .command('cancel')
    .description(
      'cancel a job: queued, it never starts; running, it stops taking new work and keeps what is done (a Batch API job cancels its batches with the provider and keeps the answered lines); the rest goes back to pending. Exit 0 cancelled, 1 unknown or already finished job, 2 no daemon',
    )
    .argument('<job>', 'job id (see `voc jobs`)')
    .option('--wait', 'follow the job until it has wound down and print what it kept')
    .option('--json', 'print the job as JSON')
    .action(async (job: string, opts: CancelOptions, cmd: Command) => {
      const g = globals(cmd);
      const res = await runJobsCancel(job, { ...opts, json: opts.json || g.json }, { config: configFor(cmd), configFile: g.config });
      if (res.exitCode) process.exitCode = res.exitCode;
    });
}
