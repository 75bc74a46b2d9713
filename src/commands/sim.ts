import type { Command } from 'commander';
import { configFor, globals } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import type { Config } from '../config/schema.js';
import { VocError } from '../errors.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../llm/simulator/index.js';

/** The simulator's own options, as flags (it always listens on loopback). */
export type SimOptions = Omit<SimulatorOptions, 'host' | 'batch'> & {
  batchDelayMs?: number;
  batchFailRate?: number;
  batchMalformedRate?: number;
  batchExpireAfter?: number;
  batchRogueLines?: boolean;
};

/** Start the simulated LLM endpoint with the config's simulator section, flags on top. */
export async function runSim(options: SimOptions, deps: { config: Config }): Promise<Simulator> {
  const s = deps.config.simulator;
  try {
    return await startSimulator({
      port: options.port ?? s.port,
      host: '127.0.0.1',
      limit: options.limit ?? s.limit,
      latencyMs: options.latencyMs ?? s.latencyMs,
      malformedRate: options.malformedRate ?? s.malformedRate,
      dropKeyRate: options.dropKeyRate ?? s.dropKeyRate,
      errorRate: options.errorRate ?? s.errorRate,
      hangRate: options.hangRate ?? s.hangRate,
      seed: options.seed ?? s.seed,
      apiKeys: options.apiKeys,
      models: options.models,
      noJsonModels: options.noJsonModels,
      batch: {
        ...s.batch,
        completionMs: options.batchDelayMs ?? s.batch.completionMs,
        failRate: options.batchFailRate ?? s.batch.failRate,
        malformedRate: options.batchMalformedRate ?? s.batch.malformedRate,
        expireAfterShare: options.batchExpireAfter ?? s.batch.expireAfterShare,
        rogueLines: options.batchRogueLines ?? s.batch.rogueLines,
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new VocError('SIM_PORT', `port ${options.port ?? s.port} is already in use`, {
        hint: 'pick another with --port, or 0 for any free port',
      });
    throw err;
  }
}

function num(name: string, min: number, max: number, int = false) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n))) {
      throw new VocError('USAGE', `--${name} must be ${int ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return n;
  };
}

const list = (v: string): string[] =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('run the SIMULATED OpenAI-compatible LLM endpoint in the foreground (for tests, benchmarks and the demo)')
    .option('--port <n>', 'port to listen on, 0 for any free port (default 8787)', num('port', 0, 65535, true))
    .option('--limit <n>', 'requests per second it accepts before answering 429 (default 25)', num('limit', 0.1, 100000))
    .option('--latency-ms <n>', 'mean simulated latency in ms (default 800)', num('latency-ms', 0, 600000, true))
    .option('--malformed-rate <r>', 'share of answers that are not JSON', num('malformed-rate', 0, 1))
    .option('--drop-key-rate <r>', 'share of batch answers missing a key', num('drop-key-rate', 0, 1))
    .option('--error-rate <r>', 'share of requests answered HTTP 500', num('error-rate', 0, 1))
    .option('--hang-rate <r>', 'share of requests never answered', num('hang-rate', 0, 1))
    .option('--seed <n>', 'random seed for latency and faults', num('seed', -2147483648, 2147483647, true))
    .option(
      '--api-key <key>',
      'accept only this key (repeat for several); others get 401, as a wrong key or region does',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--models <list>', 'comma-separated models it lists and accepts; another gets 404 model_not_found', list)
    .option('--without-json-mode <list>', 'comma-separated models that refuse JSON mode with a 400', list)
    .option(
      '--batch-delay-ms <n>',
      'Batch API: time from creating a batch to its completion (default 5000)',
      num('batch-delay-ms', 0, 86400000, true),
    )
    .option('--batch-fail-rate <r>', 'Batch API: share of lines answered with an error', num('batch-fail-rate', 0, 1))
    .option(
      '--batch-malformed-rate <r>',
      'Batch API: share of lines whose answer is not the JSON asked for',
      num('batch-malformed-rate', 0, 1),
    )
    .option(
      '--batch-expire-after <share>',
      'Batch API: batches expire with only this share of their lines done',
      num('batch-expire-after', 0, 1),
    )
    .option('--batch-rogue-lines', 'Batch API: add output lines with an unknown and a repeated custom_id')
    .option('--json', 'print the URL as JSON')
    .action(async (raw: SimOptions & { json?: boolean; apiKey?: string[]; withoutJsonMode?: string[] }, cmd: Command) => {
      const { apiKey, withoutJsonMode, ...rest } = raw;
      const opts: SimOptions & { json?: boolean } = { ...rest, apiKeys: apiKey, noJsonModels: withoutJsonMode };
      const sim = await runSim(opts, { config: configFor(cmd) });
      const s = sim.stats();
      if (opts.json || globals(cmd).json) printJson({ url: sim.url, simulated: true, limit: s.limit });
      else {
        process.stdout.write(`SIMULATED LLM listening on ${sim.url}  (limit ${s.limit}/s; answers are simulated, not from a real model)\n`);
        process.stdout.write(
          `use it with: VOC_LLM_BASE_URL=${sim.url}   stats: GET ${sim.url.replace(/\/v1$/, '')}/stats   stop: Ctrl-C\n`,
        );
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await sim.close();
      if (!opts.json && !globals(cmd).json) process.stdout.write(`SIMULATED LLM stopped: ${JSON.stringify(sim.stats())}\n`);
    });
}
