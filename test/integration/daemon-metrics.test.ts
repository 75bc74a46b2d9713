import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { tempHome, testConfig } from '../helpers/home.js';
import { parsePrometheusText, total } from '../helpers/prom-text.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { clientFor } from '../../src/daemon/client.js';
import { startSimulator } from '../../src/llm/simulator/index.js';
import { createGateway } from '../../src/llm/gateway.js';
import { createTranslationService } from '../../src/translate/service.js';
import { createLogger, silentLogger, type Logger } from '../../src/log.js';
import { seedExample } from './translate-fixtures.js';
import { hasRedis, REDIS_URL, redisTestPrefix } from '../helpers/services.js';

/** A TCP proxy to Redis we can cut and restore, to play an outage without touching the shared server. */
async function redisProxy(): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const listen = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
    port = (server!.address() as net.AddressInfo).port;
  };
  const cut = () =>
    new Promise<void>((r) => {
      if (!server) return r();
      server.close(() => r());
      for (const s of sockets) s.destroy();
      server = null;
    });
  await listen();
  return { url: `redis://127.0.0.1:${port}`, cut, restore: listen, close: cut };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function boot(
  overrides: Record<string, unknown>,
  log: Logger = silentLogger,
  redisUrl: string | null = null,
): Promise<{ d: Daemon }> {
  const sim = await startSimulator({ port: 0, seed: 3, limit: 200, latencyMs: 1000 });
  cleanups.push(() => sim.close());
  const h = tempHome('mx');
  cleanups.push(() => h.cleanup());
  const config = testConfig(h.home, {
    redisUrl,
    overrides: {
      'daemon.heartbeatMs': 200,
      'daemon.shutdownTimeoutMs': 2000,
      'beat.checkPendingTranslations': false,
      'analysis.autoLearn': false,
      'llm.qps': 200,
      ...overrides,
    },
  });
  const d = await startDaemon(config, {
    log,
    gatewayFactory: (args) => createGateway({ ...args, baseUrl: sim.url, simulated: true }),
    services: (ctx) => [createTranslationService(ctx)],
  });
  cleanups.push(() => d.close());
  return { d };
}

async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusText(await res.text());
}

describe('Prometheus metrics and /health', () => {
  it('scraped during a translation run: valid exposition, lanes, gateway, tokens, cost and health', async () => {
    const { d } = await boot({ 'daemon.metricsPort': 0 });
    expect(d.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = clientFor(d.socketPath);
    await client.ingest({ file: 'seed.csv', rows: seedExample() });
    const job = await client.submitJob({ kind: 'translate' });

    // during the run (each answer takes about a second): scrape until translation lane tasks are running
    let during = await scrape(d.metricsUrl!);
    const end = Date.now() + 30_000;
    while (total(during.samples, 'voc_lane_jobs_active', { lane: 'translation' }) === 0 && Date.now() < end)
      during = await scrape(d.metricsUrl!);
    expect(total(during.samples, 'voc_lane_jobs_active', { lane: 'translation' })).toBeGreaterThan(0);
    expect(total(during.samples, 'voc_jobs_open', { kind: 'translate', status: 'running' })).toBe(1);
    expect(total(during.samples, 'voc_backlog_reviews', { work: 'translation' })).toBeGreaterThan(0);

    const final = await client.followJob(job.id, () => {});
    expect(final.status).toBe('done');
    const after = await scrape(d.metricsUrl!);
    const s = after.samples;
    expect(after.types.get('voc_llm_requests_total')).toBe('counter');
    expect(after.types.get('voc_lane_job_duration_seconds')).toBe('histogram');
    // the seed's 100 reviews take 19 calls (see the translate tests); every one answered 200
    expect(total(s, 'voc_llm_requests_total', { lane: 'translation', code: '200' })).toBe(19);
    expect(total(s, 'voc_llm_request_duration_seconds_count', { lane: 'translation' })).toBe(19);
    expect(total(s, 'voc_reviews_translated_total')).toBe(100);
    expect(total(s, 'voc_lane_jobs_done_total', { lane: 'translation' })).toBeGreaterThanOrEqual(19);
    expect(total(s, 'voc_lane_job_duration_seconds_count', { lane: 'translation', outcome: 'done' })).toBeGreaterThanOrEqual(19);
    expect(total(s, 'voc_llm_tokens_total', { kind: 'prompt' })).toBeGreaterThan(0);
    expect(total(s, 'voc_llm_cost_total')).toBeGreaterThan(0);
    expect(total(s, 'voc_pool_capacity', { pool: 'trans' })).toBe(100);
    expect(total(s, 'voc_llm_rate_limit_requests_per_second')).toBe(200);
    expect(total(s, 'voc_jobs_open', { kind: 'translate' })).toBe(0);
    expect(total(s, 'voc_store_up')).toBe(1);
    expect(total(s, 'voc_llm_breaker_open')).toBe(0);
    expect(s.some((x) => x.name === 'voc_redis_up')).toBe(false);

    const health = await fetch(`${d.metricsUrl}/health`);
    expect(health.status).toBe(200);
    const h = await health.json();
    expect(h.checks).toMatchObject({
      status: 'ok',
      store: { ok: true },
      redis: null,
      provider: { breaker: 'closed', state: 'ok', lastStatus: 200 },
    });
    const viaSocket = await client.health();
    expect(viaSocket.checks).toMatchObject({ status: 'ok', store: { ok: true }, provider: { breaker: 'closed' } });
  });

  it('a metrics port already in use is one log line; the daemon keeps serving without metrics', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const port = (blocker.address() as net.AddressInfo).port;
    const lines: string[] = [];
    const { d } = await boot({ 'daemon.metricsPort': port }, createLogger({ write: (l) => lines.push(l), level: 'info' }));
    expect(d.metricsUrl).toBeNull();
    const problems = lines.map((l) => JSON.parse(l)).filter((r) => r.event === 'metrics_unavailable');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ level: 'error', port, error: 'EADDRINUSE' });
    const h = await clientFor(d.socketPath).health();
    expect(h.checks?.status).toBe('ok');
  });

  it.skipIf(!hasRedis)('Redis cut: /health on the metrics port answers 503 naming Redis, and 200 again once it is back', async () => {
    const proxy = await redisProxy();
    cleanups.push(() => proxy.close());
    const pre = redisTestPrefix('mx');
    cleanups.push(() => pre.cleanup());
    const { d } = await boot({ 'daemon.metricsPort': 0, 'redis.keyPrefix': pre.prefix }, silentLogger, proxy.url);
    const health = async () => {
      const res = await fetch(`${d.metricsUrl}/health`);
      return { status: res.status, body: await res.json() };
    };
    const until = async (want: number) => {
      const end = Date.now() + 20_000;
      let h = await health();
      while (h.status !== want && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 200));
        h = await health();
      }
      return h;
    };
    const up = await until(200);
    expect(up.body.checks.redis).toMatchObject({ ok: true });
    expect(total((await scrape(d.metricsUrl!)).samples, 'voc_redis_up')).toBe(1);

    await proxy.cut();
    const down = await until(503);
    expect(down.status).toBe(503);
    expect(down.body.checks).toMatchObject({ status: 'degraded', store: { ok: true }, redis: { ok: false } });
    expect(total((await scrape(d.metricsUrl!)).samples, 'voc_redis_up')).toBe(0);
    const viaSocket = await clientFor(d.socketPath).health();
    expect(viaSocket.checks?.redis?.ok).toBe(false);

    await proxy.restore();
    const back = await until(200);
    expect(back.body.checks).toMatchObject({ status: 'ok', redis: { ok: true } });
  });

  it('metrics are off by default: no port is opened', async () => {
    const { d } = await boot({});
    expect(d.metricsUrl).toBeNull();
  });
});
