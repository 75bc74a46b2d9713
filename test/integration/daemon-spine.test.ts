import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { tempHome, testConfig } from '../helpers/home.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { clientFor, connectDaemon } from '../../src/daemon/client.js';
import { unavailableGateway } from '../../src/daemon/gateway.js';
import { testServices } from '../helpers/sleep-service.mjs';
import { homePaths } from '../../src/daemon/lifecycle.js';
import { silentLogger } from '../../src/log.js';
import { countReviews, type NewReview } from '../../src/store/reviews.js';
import type { Config } from '../../src/config/schema.js';

export function review(i: number, product = 'P1'): NewReview {
  const body = `review number ${i} is fine and long enough to count`;
  return {
    sourceKey: `test:${product}:${i}`,
    reviewId: String(i),
    productId: product,
    marketplace: null,
    rating: 4,
    title: null,
    body,
    bodyHash: `h${i}`,
    reviewDate: null,
    author: null,
    language: 'en',
    class: 'standard',
    bodyLen: body.length,
  };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function boot(overrides: Record<string, unknown> = {}): Promise<{ d: Daemon; config: Config }> {
  const h = tempHome('sp');
  const config = testConfig(h.home, {
    overrides: {
      'pools.vip.jitterMs': [0, 0],
      'pools.trans.jitterMs': [0, 0],
      'daemon.heartbeatMs': 200,
      'daemon.maxRequestBytes': 4096,
      ...overrides,
    },
  });
  const d = await startDaemon(config, {
    log: silentLogger,
    gatewayFactory: () => unavailableGateway(config, 'test'),
    services: (ctx) => testServices(ctx, 'sleep'),
  });
  cleanups.push(() => h.cleanup());
  cleanups.push(() => d.close());
  return { d, config };
}

function rawRequest(socketPath: string, method: string, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('daemon spine', () => {
  it('answers health, ingests a chunk after commit and runs a job row to done', async () => {
    const { d, config } = await boot();
    const client = await connectDaemon(config, { autostart: false });
    const h = await client.health();
    expect(h.pid).toBe(process.pid);
    const res = await client.ingest({ file: 'x.csv', rows: [review(1), review(2), review(1)] });
    expect(res.inserted).toBe(2);
    expect(res.duplicates).toBe(1);
    expect(await countReviews(d.ctx.store)).toBe(2);
    const job = await client.submitJob({ kind: 'sleep' as never, params: { steps: 3, ms: 5 } });
    expect(job.status).toBe('queued');
    const updates: string[] = [];
    const final = await client.followJob(job.id, (j) => updates.push(j.status));
    expect(final.status).toBe('done');
    expect(final.result).toMatchObject({ done: 3 });
    const jobs = await client.jobs();
    expect(jobs.pools.base).toEqual({ cap: 4, lanes: ['ingestion', 'reports'] });
    expect(jobs.jobs[0].id).toBe(job.id);
  });

  it('keeps the home 0700 and the socket 0600', async () => {
    const { d, config } = await boot();
    expect(statSync(config.home).mode & 0o777).toBe(0o700);
    expect(statSync(d.socketPath).mode & 0o777).toBe(0o600);
  });

  it('refuses a second daemon on the same home, naming the pid and socket of the first', async () => {
    const { config } = await boot();
    await expect(startDaemon(config, { log: silentLogger, gatewayFactory: () => unavailableGateway(config, 'test') })).rejects.toThrow(
      new RegExp(`pid ${process.pid}, socket .*voc\\.sock`),
    );
  });

  it('cleans a stale pid file and socket left by a crash', async () => {
    const h = tempHome('st');
    cleanups.push(() => h.cleanup());
    const p = homePaths(h.home);
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    writeFileSync(p.pid, `${dead}\n`);
    writeFileSync(p.socket, '');
    const config = testConfig(h.home);
    const d = await startDaemon(config, { log: silentLogger, gatewayFactory: () => unavailableGateway(config, 'test') });
    cleanups.push(() => d.close());
    expect((await clientFor(p.socket).health()).pid).toBe(process.pid);
    await d.close();
    expect(existsSync(p.pid)).toBe(false);
    expect(existsSync(p.socket)).toBe(false);
  });

  it('answers malformed, oversized, unknown and invalid requests with 4xx and keeps serving', async () => {
    const { d } = await boot();
    expect(await rawRequest(d.socketPath, 'POST', '/ingest', '{"rows": [')).toBe(400);
    expect(await rawRequest(d.socketPath, 'POST', '/ingest', JSON.stringify({ rows: [], pad: 'x'.repeat(8000) }))).toBe(413);
    expect(await rawRequest(d.socketPath, 'GET', '/nope', '')).toBe(404);
    expect(await rawRequest(d.socketPath, 'POST', '/ingest', JSON.stringify({ rows: [{ body: 1 }] }))).toBe(400);
    expect(await rawRequest(d.socketPath, 'POST', '/jobs', JSON.stringify({ kind: 'nope' }))).toBe(400);
    expect(await rawRequest(d.socketPath, 'POST', '/lanes/bogus/pause', '')).toBe(400);
    expect(await rawRequest(d.socketPath, 'GET', '/jobs/999', '')).toBe(404);
    expect((await clientFor(d.socketPath).health()).pid).toBe(process.pid);
  });

  it('without autostart and no daemon, connectDaemon throws the exit-2 error', async () => {
    const h = tempHome('na');
    cleanups.push(() => h.cleanup());
    await expect(connectDaemon(testConfig(h.home), { autostart: false })).rejects.toMatchObject({
      exitCode: 2,
      code: 'DAEMON_UNAVAILABLE',
    });
  });

  it('refuses to serve once the socket file is no longer private to its owner', async () => {
    const { d } = await boot();
    chmodSync(d.socketPath, 0o666);
    expect(await rawRequest(d.socketPath, 'GET', '/health', '')).toBe(403);
    chmodSync(d.socketPath, 0o600);
    expect(await rawRequest(d.socketPath, 'GET', '/health', '')).toBe(200);
  });

  it('logs to $VOC_HOME/daemon.log (0600) and never writes the API key', async () => {
    const h = tempHome('lg');
    cleanups.push(() => h.cleanup());
    const config = testConfig(h.home, { overrides: { 'llm.apiKey': 'sk-test-secret-123456' } });
    const d = await startDaemon(config, { gatewayFactory: () => unavailableGateway(config, 'key sk-test-secret-123456 rejected') });
    cleanups.push(() => d.close());
    d.ctx.log.warn('provider_said', { error: 'invalid key sk-test-secret-123456' });
    await d.close();
    const file = homePaths(h.home).log;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('daemon_started');
    expect(text).not.toContain('sk-test-secret-123456');
  });
});
