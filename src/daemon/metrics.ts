import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DaemonContext } from '../context.js';
import { LANES, POOLS } from '../config/schema.js';
import type { Stats } from './stats-types.js';
import type { StatsBuilder } from './stats.js';
import type { HealthChecks, HealthMonitor } from './health.js';

/** What one scrape reads, gathered once before the collectors run. */
interface Snapshot {
  stats: Stats;
  health: HealthChecks;
  openJobs: Array<{ kind: string; status: string; n: number }>;
}

export interface DaemonMetrics {
  /** the Prometheus text exposition of everything below */
  scrape(): Promise<string>;
  contentType: string;
  close(): void;
}

type Labels = Record<string, string | number>;
type Read = (s: Snapshot) => Array<[Labels, number]>;
const one = (v: number): Array<[Labels, number]> => [[{}, v]];
const byLane =
  (f: (l: Stats['lanes'][keyof Stats['lanes']]) => number): Read =>
  (s) =>
    LANES.map((l) => [{ lane: l }, f(s.stats.lanes[l])]);
const byPool =
  (f: (p: Stats['pools'][keyof Stats['pools']]) => number): Read =>
  (s) =>
    POOLS.map((p) => [{ pool: p }, f(s.stats.pools[p])]);

/** Job rows not finished yet, by kind: submitted runs, and the provider-side Batch API jobs once they are rows too. */
async function openJobs(ctx: DaemonContext): Promise<Snapshot['openJobs']> {
  const rows: Array<{ kind: string; status: string; n: number | string }> = await ctx.store
    .knex('jobs')
    .select('kind', 'status')
    .count({ n: '*' })
    .whereIn('status', ['queued', 'running'])
    .groupBy('kind', 'status');
  return rows.map((r) => ({ kind: String(r.kind), status: String(r.status), n: Number(r.n) }));
}

/**
 * The daemon's Prometheus metrics. Almost everything is read at scrape time from what the daemon already keeps
 * (the stats object of `voc status`, the gateway's counters, the health checks), so the hot path pays nothing;
 * only the duration histograms and the per-lane request counters listen to events the lanes and the gateway emit
 * anyway. One registry per daemon: two daemons in one process (tests) do not mix. Names follow Prometheus
 * conventions: `voc_` prefix, base units (seconds), counters end in `_total`.
 */
export function createDaemonMetrics(
  ctx: DaemonContext,
  stats: StatsBuilder,
  health: HealthMonitor,
  o: { version: string; startedAt: number },
): DaemonMetrics {
  const registers = [new Registry()];
  const reg = registers[0];
  collectDefaultMetrics({ register: reg });
  let snap: Snapshot | null = null;

  // counters and gauges whose value is read from the snapshot when scraped
  const counter = (name: string, help: string, labelNames: string[], read: Read) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        if (snap) for (const [labels, v] of read(snap)) this.inc(labels, Math.max(0, v));
      },
    });
  const gauge = (name: string, help: string, labelNames: string[], read: Read) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        if (snap) for (const [labels, v] of read(snap)) this.set(labels, v);
      },
    });

  gauge('voc_build_info', 'voc version of this daemon (always 1)', ['version'], () => [[{ version: o.version }, 1]]);
  gauge('voc_daemon_start_time_seconds', 'when this daemon started, seconds since the epoch', [], () => one(o.startedAt / 1000));

  // the voc_lane_jobs_* and voc_pool_jobs_* names predate the word "task" for a lane's unit of work: they stay, as
  // dashboards and alerts query them by name
  gauge(
    'voc_lane_jobs_queued',
    'lane tasks waiting for a pool slot',
    ['lane'],
    byLane((l) => l.queued),
  );
  gauge(
    'voc_lane_jobs_active',
    'lane tasks running',
    ['lane'],
    byLane((l) => l.active),
  );
  gauge(
    'voc_lane_paused',
    '1 when the lane is paused (voc pause)',
    ['lane'],
    byLane((l) => Number(l.paused)),
  );
  counter(
    'voc_lane_jobs_done_total',
    'lane tasks finished',
    ['lane'],
    byLane((l) => l.done),
  );
  counter(
    'voc_lane_jobs_failed_total',
    'lane tasks failed',
    ['lane'],
    byLane((l) => l.failed),
  );
  counter(
    'voc_lane_jobs_retried_total',
    'lane tasks given another attempt',
    ['lane'],
    byLane((l) => l.retried),
  );
  gauge(
    'voc_pool_jobs_active',
    'lane tasks running in the pool',
    ['pool'],
    byPool((p) => p.active),
  );
  gauge(
    'voc_pool_jobs_queued',
    'lane tasks waiting for the pool',
    ['pool'],
    byPool((p) => p.queued),
  );
  gauge(
    'voc_pool_capacity',
    'the pool concurrency cap',
    ['pool'],
    byPool((p) => p.cap),
  );

  const g = (s: Snapshot) => s.stats.gateway;
  gauge('voc_llm_waiting_calls', 'LLM calls waiting for a permit of the global rate limit', ['lane'], (s) =>
    Object.entries(g(s).waiting).map(([lane, n]) => [{ lane }, n]),
  );
  gauge('voc_llm_in_flight_requests', 'LLM HTTP requests sent and not answered yet', [], (s) => one(g(s).inFlight));
  gauge('voc_llm_window_requests', 'LLM requests this daemon started in the last second (the sliding window)', [], (s) => one(g(s).window));
  gauge('voc_llm_rate_limit_requests_per_second', 'the configured global rate (llm.qps)', [], (s) => one(g(s).limit));
  gauge('voc_llm_adaptive_rate_requests_per_second', 'the rate in force after 429s lowered it', [], (s) => one(g(s).adaptiveRate));
  gauge('voc_llm_throttle_up', '0 while the shared throttle (Redis) is unreachable and calls are held', [], (s) =>
    one(Number(g(s).throttleHealthy)),
  );
  counter('voc_llm_calls_failed_total', 'LLM calls that failed after every attempt, or were refused', [], (s) => one(g(s).failures));
  counter('voc_llm_tokens_total', 'LLM tokens used', ['kind'], (s) => [
    [{ kind: 'prompt' }, g(s).promptTokens],
    [{ kind: 'completion' }, g(s).completionTokens],
  ]);
  counter('voc_llm_cost_total', 'LLM spend by the price table, in the configured currency', ['currency'], (s) => [
    [{ currency: g(s).currency }, g(s).cost],
  ]);

  gauge('voc_backlog_reviews', 'reviews waiting for work', ['work'], (s) => [
    [{ work: 'translation' }, s.stats.backlog.pendingTranslations],
    [{ work: 'analysis' }, s.stats.backlog.pendingAnalyses],
  ]);
  gauge('voc_jobs_open', 'job rows queued or running, by kind', ['kind', 'status'], (s) =>
    s.openJobs.map((j) => [{ kind: j.kind, status: j.status }, j.n]),
  );
  counter('voc_reviews_translated_total', 'reviews translated by this daemon', [], (s) => one(s.stats.classifier.translated));
  counter('voc_reviews_translation_failed_total', 'reviews whose translation failed', [], (s) => one(s.stats.classifier.failed));
  counter('voc_products_learned_total', 'products whose dimensions and labels were learned', [], (s) => one(s.stats.analysis.learned));

  gauge('voc_store_up', '1 when the store answers a query', [], (s) => one(Number(s.health.store.ok)));
  // only with Redis: a 0 would read as "Redis down" to an alert
  if (ctx.redis) gauge('voc_redis_up', '1 when Redis answers a PING', [], (s) => one(Number(s.health.redis?.ok ?? 0)));
  gauge('voc_llm_breaker_open', '1 while LLM calls are held (the shared throttle is unreachable)', [], (s) =>
    one(Number(s.health.provider.breaker === 'open')),
  );
  gauge('voc_llm_consecutive_errors', 'LLM answers in a row that were errors (not 2xx or 429)', [], (s) =>
    one(s.health.provider.consecutiveErrors),
  );

  // fed by events: a duration is only known when the task or the request ends
  const taskSeconds = new Histogram({
    name: 'voc_lane_job_duration_seconds',
    help: 'lane task duration',
    labelNames: ['lane', 'outcome'],
    registers,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  });
  const llmSeconds = new Histogram({
    name: 'voc_llm_request_duration_seconds',
    help: 'LLM HTTP request duration, by lane',
    labelNames: ['lane'],
    registers,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
  });
  const requests = new Counter({
    name: 'voc_llm_requests_total',
    help: 'LLM HTTP requests by lane and status code (0: no answer)',
    labelNames: ['lane', 'code'],
    registers,
  });
  const limited = new Counter({
    name: 'voc_llm_rate_limited_total',
    help: 'LLM requests answered 429, by lane',
    labelNames: ['lane'],
    registers,
  });
  const retries = new Counter({
    name: 'voc_llm_retries_total',
    help: 'LLM requests that were retries, by lane',
    labelNames: ['lane'],
    registers,
  });
  const offs = [
    ctx.events.on('task:done', (e) => taskSeconds.observe({ lane: e.lane, outcome: 'done' }, (e.ms ?? 0) / 1000)),
    ctx.events.on('task:failed', (e) => taskSeconds.observe({ lane: e.lane, outcome: 'failed' }, (e.ms ?? 0) / 1000)),
    ctx.events.on('llm:call', (e) => {
      requests.inc({ lane: e.lane, code: String(e.status) });
      if (e.status === 429) limited.inc({ lane: e.lane });
      if ((e.attempt ?? 1) > 1) retries.inc({ lane: e.lane });
      llmSeconds.observe({ lane: e.lane }, e.ms / 1000);
    }),
  ];

  return {
    contentType: reg.contentType,
    scrape: async () => {
      const [s, h, jobs] = await Promise.all([stats.build(), health.check(), openJobs(ctx).catch(() => [])]);
      snap = { stats: s, health: h, openJobs: jobs };
      return reg.metrics();
    },
    close: () => {
      offs.forEach((off) => off());
      reg.clear();
    },
  };
}
