import { afterEach, describe, expect, it } from 'vitest';
import { tempHome, testConfig } from '../helpers/home.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { clientFor } from '../../src/daemon/client.js';
import { unavailableGateway } from '../../src/daemon/gateway.js';
import { testServices } from '../helpers/sleep-service.mjs';
import { silentLogger } from '../../src/log.js';
import type { Stats } from '../../src/daemon/stats-types.js';
import type { NewReview } from '../../src/store/reviews.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function review(i: number): NewReview {
  const body = `stats review ${i} long enough to be standard class text`;
  return {
    sourceKey: `s:${i}`,
    reviewId: String(i),
    productId: 'P',
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

async function boot(): Promise<Daemon> {
  const h = tempHome('ss');
  const config = testConfig(h.home, { overrides: { 'daemon.statsIntervalMs': 50, 'pools.trans.jitterMs': [0, 0] } });
  const d = await startDaemon(config, {
    log: silentLogger,
    gatewayFactory: () => unavailableGateway(config, 'test'),
    services: (ctx) => testServices(ctx, 'sleep'),
  });
  cleanups.push(() => h.cleanup());
  cleanups.push(() => d.close());
  return d;
}

describe('daemon stats', () => {
  it('reports the configured caps, lane counters, backlog and failures', async () => {
    const d = await boot();
    const client = clientFor(d.socketPath);
    await client.ingest({ file: null, rows: [review(1), review(2), review(3)] });
    const failed = await client.submitJob({ kind: 'sleep' as never, params: { fail: 'bad input' } });
    await client.followJob(failed.id, () => {});
    const ok = await client.submitJob({ kind: 'sleep' as never, params: { steps: 2, ms: 1 } });
    await client.followJob(ok.id, () => {});
    const s = await client.stats();
    expect(Object.fromEntries(Object.entries(s.pools).map(([k, p]) => [k, p.cap]))).toEqual({
      base: 4,
      vip: 50,
      trans: 100,
      insight: 100,
      theme: 100,
    });
    expect(s.lanes.ingestion).toMatchObject({ done: 1, failed: 0, cap: 4, paused: false });
    expect(s.lanes.translation.done).toBe(2);
    expect(s.lanes.learning.cap).toBe(50);
    expect(s.backlog.pendingTranslations).toBe(3);
    expect(s.events.map((e) => e.text).join('\n')).toContain('bad input');
    expect(s.daemon).toMatchObject({ id: d.ctx.daemonId, pid: process.pid, store: d.ctx.store.where, redis: null });
    expect(s.gateway.limit).toBe(25);
    expect(s.cluster).toBeNull();
  });

  it('a one-off look shows the backlog of now, though a stream read it a moment ago', async () => {
    const d = await boot();
    const client = clientFor(d.socketPath);
    await client.ingest({ file: null, rows: [review(1), review(2)] });
    expect((await client.stats()).backlog.pendingTranslations).toBe(2);
    // the stream's cached figures are young; a one-off look still sees the ingest that came after them
    await d.stats();
    await client.ingest({ file: null, rows: [review(3), review(4), review(5)] });
    expect((await d.stats()).backlog.pendingTranslations).toBe(2); // as a stream frame reads it: the cached figure
    expect((await client.stats()).backlog.pendingTranslations).toBe(5);
  });

  it('streams stats frames as NDJSON until the caller aborts', async () => {
    const d = await boot();
    const frames: Stats[] = [];
    const ac = new AbortController();
    await clientFor(d.socketPath).streamStats((s) => {
      frames.push(s);
      if (frames.length === 3) ac.abort();
    }, ac.signal);
    expect(frames).toHaveLength(3);
    expect(frames[2].daemon.id).toBe(d.ctx.daemonId);
  });

  it('lists active and queued lane tasks by pool for `voc jobs`', async () => {
    const d = await boot();
    const client = clientFor(d.socketPath);
    await client.pause('translation');
    await client.submitJob({ kind: 'sleep' as never, params: { steps: 1, ms: 1 } });
    const end = Date.now() + 10000;
    let v = await client.jobs();
    while (v.queued.length === 0 && Date.now() < end) v = await client.jobs();
    expect(v.queued[0]).toMatchObject({ lane: 'translation', pool: 'trans', state: 'queued' });
    expect(v.pools.insight.lanes).toEqual(['learning', 'insight_extraction']);
  });
});
