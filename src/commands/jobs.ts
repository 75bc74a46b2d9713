import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { connectDaemon } from '../daemon/client.js';
import type { DaemonClient, JobsView } from '../daemon/api.js';
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
    out.push(`  #${j.id} ${j.kind.padEnd(9)} ${j.status.padEnd(7)} ${j.lane.padEnd(18)} ${j.productId ?? '-'}${extra}`);
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

export function registerJobs(program: Command): void {
  program
    .command('jobs')
    .description('active and queued lane tasks by pool, and recent job rows (celery inspect active / active_queues)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const v = await runJobs(configFor(cmd), { configFile: globals(cmd).config });
      if (opts.json || globals(cmd).json) printJson(v);
      else process.stdout.write(formatJobs(v) + '\n');
    });
}
