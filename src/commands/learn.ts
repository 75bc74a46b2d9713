import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { configFor, globals } from '../cli/options.js';
import { cancelledError } from '../cli/follow.js';
import { VocError } from '../errors.js';
import { connectDaemon } from '../daemon/client.js';
import type { DaemonClient, JobView } from '../daemon/api.js';

export interface LearnOptions {
  product: string;
  force?: boolean;
  wait?: boolean;
  json?: boolean;
}

export interface LearnDeps {
  config: Config;
  /** the daemon to talk to; default: connectDaemon(config, { autostart: true }) */
  client?: DaemonClient;
  configFile?: string;
  stdout?: { write(s: string): unknown };
}

type LearnSummary = {
  outcome?: string;
  dimensions?: number;
  labels?: number;
  attempts?: number;
  calls?: number;
  promptTokens?: number;
  completionTokens?: number;
  cost?: number;
  simulated?: boolean;
};

/**
 * `voc learn PRODUCT`: a learn job on the learning lane (the fast lane: vip pool first, the gateway's next free
 * permit). With --wait, follows it and prints the model's size; a failed learning exits non-zero with the reason.
 */
export async function runLearn(o: LearnOptions, deps: LearnDeps): Promise<JobView> {
  if (!o.product?.trim()) throw new VocError('USAGE', 'name the product to learn', { hint: 'voc learn PRODUCT [--force] [--wait]' });
  const out = deps.stdout ?? process.stdout;
  const client = deps.client ?? (await connectDaemon(deps.config, { autostart: true, configFile: deps.configFile, quiet: !!o.json }));
  const submitted = await client.submitJob({ kind: 'learn', productId: o.product, params: o.force ? { force: true } : {} });
  if (!o.wait) {
    if (o.json) out.write(JSON.stringify({ job: submitted.id, status: submitted.status, productId: o.product }, null, 2) + '\n');
    else out.write(`learn job ${submitted.id} submitted for ${o.product}; follow it with \`voc status\` or pass --wait\n`);
    return submitted;
  }
  const final = await client.followJob(submitted.id, () => {});
  if (final.status === 'cancelled') throw cancelledError(final);
  if (final.status === 'failed')
    throw new VocError('JOB_FAILED', `learn job ${final.id} failed: ${final.error ?? 'unknown error'}`, {
      hint: `voc learn ${o.product} --force --wait tries again`,
    });
  const s = (final.result ?? {}) as LearnSummary;
  if (o.json) out.write(JSON.stringify({ job: final.id, productId: o.product, ...s }, null, 2) + '\n');
  else if (s.outcome === 'already') out.write(`${o.product} is already learned; --force relearns it\n`);
  else {
    const tokens = (s.promptTokens ?? 0) + (s.completionTokens ?? 0);
    out.write(
      `learned ${o.product}${s.simulated ? ' (simulated)' : ''}: ${s.dimensions ?? 0} dimensions, ${s.labels ?? 0} 5W labels; ` +
        `${s.calls ?? 0} calls, ${tokens} tokens, cost ${Number(s.cost ?? 0).toFixed(4)} ${deps.config.llm.currency}\n`,
    );
  }
  return final;
}

export function registerLearn(program: Command): void {
  program
    .command('learn')
    .description("learn a product's dimensions and 5W labels on the learning lane (the fast lane)")
    .argument('<product>', 'product id')
    .option('--force', 'relearn a product that is already learned')
    .option('--wait', 'wait for the model and print it (exit 1 when learning failed, 2 no daemon)')
    .option('--json', 'machine-readable output')
    .action(async (product: string, opts: Omit<LearnOptions, 'product'>, cmd: Command) => {
      const g = globals(cmd);
      await runLearn({ ...opts, product, json: opts.json || g.json }, { config: configFor(cmd), configFile: g.config });
    });
}
