import { afterEach, describe, expect, it } from 'vitest';
import { tempHome, testConfig } from '../helpers/home.js';
import { DATABASES } from '../helpers/databases.js';
import { hasPg, PG_BASE, pgTestUrl } from '../helpers/services.js';
import { startTcpProxy, viaProxy } from '../helpers/tcp-proxy.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { clientFor } from '../../src/daemon/client.js';
import { unavailableGateway } from '../../src/daemon/gateway.js';
import { testServices } from '../helpers/sleep-service.mjs';
import { claimReviews } from '../../src/store/claims.js';
import { claimJobs, insertJob } from '../../src/store/jobs.js';
import { insertReviews } from '../../src/store/insert.js';
import { silentLogger } from '../../src/log.js';
import type { JobView } from '../../src/daemon/api.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until<T>(fn: () => Promise<T | null | false>, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function start(databaseUrl: string | null): Promise<Daemon> {
  const h = tempHome('ls');
  cleanups.push(() => h.cleanup());
  const config = testConfig(h.home, {
    databaseUrl,
    overrides: {
      'daemon.heartbeatMs': 200,
      'daemon.leaseMs': 1000,
      'daemon.shutdownTimeoutMs': 500,
      'beat.checkPendingTranslations': false,
      'analysis.autoLearn': false,
    },
  });
  const d = await startDaemon(config, {
    log: silentLogger,
    gatewayFactory: () => unavailableGateway(config, 'test'),
    services: (ctx) => testServices(ctx, 'sleep'),
  });
  cleanups.push(() => d.close());
  return d;
}

const body = 'a review whose claim outlived its run';
const row = {
  sourceKey: 'k1',
  reviewId: '1',
  productId: 'P',
  marketplace: null,
  rating: 4,
  title: null,
  body,
  bodyHash: 'h1',
  reviewDate: null,
  author: null,
  language: 'en',
  class: 'standard' as const,
  bodyLen: body.length,
};

describe.each(DATABASES)('leases on %s', (db) => {
  it('the heartbeat renews only what runs now: a claim and a job row a finished run left behind expire and are taken over', async () => {
    const pgu = db === 'pg' ? pgTestUrl('ls') : null;
    if (pgu) cleanups.push(() => pgu.drop());
    const d = await start(pgu?.url ?? null);
    const store = d.ctx.store;
    await insertReviews(store, [row]);
    // held in this daemon's name for job 999, which no longer runs here (its run ended without handing them back)
    expect(await claimReviews(store, 'tr', { owner: d.ctx.daemonId, leaseMs: 1000, limit: 10, jobId: 999 })).toHaveLength(1);
    const job = await insertJob(store, { kind: 'report', lane: 'reports' });
    expect(await claimJobs(store, ['report'], d.ctx.daemonId, 1000, 10)).toHaveLength(1);
    // several heartbeats later the leases have run out instead of being renewed, and another daemon takes both
    const taken = await until(async () => {
      const r = await claimReviews(store, 'tr', { owner: 'other', leaseMs: 60000, limit: 10 });
      return r.length ? r : null;
    });
    expect(taken[0].id).toBeGreaterThan(0);
    const jobs = await until(async () => {
      const j = await claimJobs(store, ['report'], 'other', 60000, 10);
      return j.length ? j : null;
    });
    expect(jobs.map((j) => Number(j.id))).toEqual([Number(job.id)]);
  });

  it('the heartbeat keeps renewing the job a daemon is running', async () => {
    const pgu = db === 'pg' ? pgTestUrl('ls') : null;
    if (pgu) cleanups.push(() => pgu.drop());
    const d = await start(pgu?.url ?? null);
    const client = clientFor(d.socketPath);
    const job = await client.submitJob({ kind: 'sleep' as never, params: { steps: 1, ms: 3000 } });
    await until(async () => (await client.getJob(job.id)).status === 'running');
    // three leases long: nobody else can claim it while it runs
    await new Promise((r) => setTimeout(r, 2500));
    expect(await claimJobs(d.ctx.store, ['sleep'], 'other', 60000, 10)).toEqual([]);
    const final = await client.followJob(job.id, () => {});
    expect(final.status).toBe('done');
  });
});

describe.skipIf(!hasPg)('a job on PostgreSQL through an outage', () => {
  it('a job that finishes while PostgreSQL is cut off is marked done once it is back, not left running', async () => {
    const pgu = pgTestUrl('ls');
    const target = new URL(PG_BASE);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(
      () => pgu.drop(),
      () => proxy.close(),
    );
    const d = await start(viaProxy(pgu.url, proxy));
    const client = clientFor(d.socketPath);
    const job: JobView = await client.submitJob({ kind: 'sleep' as never, params: { steps: 1, ms: 800 } });
    await until(async () => d.jobs.running().includes(job.id));
    proxy.cut();
    // the run ends during the outage (after 800 ms): its final write fails and is tried again
    await new Promise((r) => setTimeout(r, 2500));
    expect(d.jobs.running()).toContain(job.id);
    proxy.restore();
    const final = await until(async () => {
      const j = await client.getJob(job.id).catch(() => null);
      return j && j.status !== 'running' ? j : null;
    });
    expect(final.status).toBe('done');
    expect(final.result).toMatchObject({ done: 1 });
  });
});
