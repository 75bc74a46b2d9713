import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import type { Config, LlmLane } from '../src/config/schema.js';
import { createLogger, silentLogger, type Logger } from '../src/log.js';
import { createGateway } from '../src/llm/gateway.js';
import type { GatewayStats, TaskName } from '../src/llm/types.js';

/**
 * Saturated demand through one gateway: `callers` concurrent loops, each sending one call after another until
 * `total` calls were made or `durationMs` passed. Used by the throttle tests (in child processes, so that two OS
 * processes share one Redis window) and by bench/gateway.mjs.
 */
export interface LoadOptions {
  config: Config;
  baseUrl: string;
  /** a shared Redis window; null for the in-process throttle */
  redisUrl?: string | null;
  callers: number;
  total?: number;
  durationMs?: number;
  lane?: LlmLane;
  task?: TaskName;
  /** epoch ms at which to start, so several processes start together */
  startAt?: number;
  log?: Logger;
}

export interface LoadResult {
  ok: number;
  failed: number;
  /** calls still waiting for a permit when the run's time was up */
  cut: number;
  errors: string[];
  elapsedMs: number;
  /** successful calls per second over the run */
  rate: number;
  stats: GatewayStats;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const redis = o.redisUrl ? new Redis(o.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => 200 }) : null;
  redis?.on('error', () => {}); // reported through the gateway's throttle health
  const gateway = createGateway({ config: o.config, log: o.log ?? silentLogger, redis, usage: null, baseUrl: o.baseUrl, simulated: true });
  if (o.startAt && o.startAt > Date.now()) await new Promise((r) => setTimeout(r, o.startAt! - Date.now()));
  const t0 = Date.now();
  const deadline = o.durationMs ? t0 + o.durationMs : Infinity;
  const total = o.total ?? Infinity;
  let issued = 0;
  let ok = 0;
  let failed = 0;
  let cut = 0;
  const errors: string[] = [];
  // at the deadline, calls still waiting for a permit are cut, so the run ends on time instead of draining
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one signal shared by every caller
  const timer = Number.isFinite(deadline) ? setTimeout(() => stop.abort(new Error('load run over')), deadline - Date.now()) : null;
  const loop = async (c: number) => {
    while (issued < total && Date.now() < deadline) {
      const n = ++issued;
      try {
        await gateway.complete({
          lane: o.lane ?? 'translation',
          task: o.task ?? 'translate_batch',
          json: true,
          items: 2,
          signal: stop.signal,
          messages: [
            { role: 'system', content: 'Translate each value into Simplified Chinese. Answer with a JSON object with the same keys.' },
            { role: 'user', content: JSON.stringify({ r1: `review ${n} from caller ${c}`, r2: 'works well' }) },
          ],
        });
        ok++;
      } catch (err) {
        if (stop.signal.aborted) {
          cut++;
          continue;
        }
        failed++;
        if (errors.length < 5) errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: o.callers }, (_, c) => loop(c)));
  if (timer) clearTimeout(timer);
  const elapsedMs = Date.now() - t0;
  const stats = gateway.stats();
  await gateway.close();
  redis?.disconnect();
  return { ok, failed, cut, errors, elapsedMs, rate: ok / (elapsedMs / 1000), stats };
}

/** `vite-node bench/loadgen-main.ts '<LoadOptions as JSON>'`: run the load and print the result as one JSON line. */
export async function loadMain(argv: string[]): Promise<void> {
  const opts = JSON.parse(argv[0] ?? '{}') as LoadOptions & { verbose?: boolean };
  const log = opts.verbose
    ? createLogger({ write: (l) => process.stderr.write(l), level: 'info', secrets: [opts.config.llm.apiKey] })
    : undefined;
  const result = await runLoad({ ...opts, log });
  process.stdout.write(JSON.stringify(result) + '\n');
}
